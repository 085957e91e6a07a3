export * from "./domain.js";
export * from "./worker-protocol.js";
export * from "./api.js";
export * from "./api-routes.js";
export * from "./trust-api.js";
export * from "./events.js";
export * from "./discovery.js";
export * from "./openapi.js";
