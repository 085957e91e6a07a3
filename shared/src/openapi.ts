// Generates the OpenAPI 3.1 document from the route table and the zod schemas.
import { z } from "zod";
import { API_PREFIX, ErrorBody } from "./api.js";
import { ROUTES, type RouteSpec } from "./api-routes.js";

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

function toOpenApiPath(path: string): string {
  return API_PREFIX + path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function pathParameters(route: RouteSpec): unknown[] {
  const props = (route.params ? (schemaOf(route.params, "input").properties ?? {}) : {}) as Record<string, JsonSchema>;
  return [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => {
    const schema = { ...(props[m[1]!] ?? { type: "string" }) };
    // An integer parameter is matched by a digits-only pattern on the wire; the type says it.
    if (schema.type === "integer") delete schema.pattern;
    return { name: m[1], in: "path", required: true, schema };
  });
}

function queryParameters(route: RouteSpec): unknown[] {
  if (!route.query) return [];
  const json = schemaOf(route.query, "input");
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props).map(([name, schema]) => ({
    name,
    in: "query",
    required: false,
    // An empty value (`?device=`) is refused with 400: omit the parameter instead.
    allowEmptyValue: false,
    schema,
  }));
}

function successResponses(route: RouteSpec): Record<string, unknown> {
  const content =
    route.response instanceof z.ZodType
      ? { "application/json": { schema: schemaOf(route.response, "output") } }
      : { [route.response.mediaType]: { schema: {} } };
  const fallback = route.response instanceof z.ZodType ? "OK" : route.response.description;
  const statuses = route.statuses ?? { 200: fallback };
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, { description, content }]),
  );
}

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = (description: string, headers?: Record<string, unknown>) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { "application/json": { schema: schemaOf(ErrorBody, "output") } },
  });
  const retryAfter = {
    "Retry-After": { description: "Seconds until a new attempt is accepted", schema: { type: "integer" } },
  };
  for (const route of ROUTES) {
    const op: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${route.path.replace(/[/:.-]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...pathParameters(route), ...queryParameters(route)],
      responses: {
        ...successResponses(route),
        ...(route.auth
          ? {
              "401": error("Missing or wrong token"),
              "429": error("Too many wrong tokens from this client address; retry after the given time", retryAfter),
            }
          : {}),
        default: error("Error"),
      },
    };
    if (route.body) {
      op.requestBody = { required: true, content: { "application/json": { schema: schemaOf(route.body, "input") } } };
    }
    if (route.auth) op.security = [{ bearerAuth: [] }];
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Forge for ESPHome sidecar API",
      version,
      description:
        "REST API of the Forge for ESPHome sidecar. Live state streams over the WebSocket at /api/v1/events " +
        "(authenticated at the upgrade: `Authorization: Bearer`, or a ticket from POST /api/v1/events/ticket offered " +
        "as a subprotocol); build workers connect to /api/v1/worker with their worker token. A method a path does " +
        "not support answers 405 with `Allow`.",
    },
    servers: [{ url: "/" }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
