// The REST route table: one place that names every route with its request and response schemas.
// The sidecar validates against these, and the OpenAPI document and the edge router are generated
// from them. Each concern declares its routes in its own file; this list fixes their order (the
// order of the OpenAPI document's paths).
import { ErrorBody } from "./api.js";
import { DEVICE_ROUTES, JOB_ROUTES, SYSTEM_ROUTES } from "./core-routes.js";
import { NOTIFICATION_ROUTES, SCHEDULE_ROUTES, SETTINGS_ROUTES } from "./fleet-ops-routes.js";
import type { RouteSpec } from "./route-spec.js";
import { TRUST_ROUTES } from "./trust-routes.js";
import { WORKER_ROUTES } from "./worker-routes.js";
import { WORKSPACE_ROUTES } from "./workspace-routes.js";

export type { RouteSpec };

export const ROUTES: RouteSpec[] = [
  ...SYSTEM_ROUTES,
  ...DEVICE_ROUTES,
  ...JOB_ROUTES,
  ...WORKER_ROUTES,
  ...SETTINGS_ROUTES,
  ...SCHEDULE_ROUTES,
  ...NOTIFICATION_ROUTES,
  ...TRUST_ROUTES,
  ...WORKSPACE_ROUTES,
];

export { ErrorBody };
