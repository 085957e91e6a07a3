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

function queryParameters(route: RouteSpec): unknown[] {
  if (!route.query) return [];
  const json = schemaOf(route.query, "input");
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props).map(([name, schema]) => ({ name, in: "query", required: false, schema }));
}

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorResponse = {
    description: "Error",
    content: { "application/json": { schema: schemaOf(ErrorBody, "output") } },
  };
  for (const route of ROUTES) {
    const p = toOpenApiPath(route.path);
    const pathParams = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const response =
      route.response instanceof z.ZodType
        ? { description: "OK", content: { "application/json": { schema: schemaOf(route.response, "output") } } }
        : { description: route.response.description, content: { [route.response.mediaType]: { schema: {} } } };
    const op: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${route.path.replace(/[/:.-]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...pathParams, ...queryParameters(route)],
      responses: { "200": response, default: errorResponse },
    };
    if (route.body) {
      op.requestBody = { required: true, content: { "application/json": { schema: schemaOf(route.body, "input") } } };
    }
    if (route.auth) op.security = [{ bearerAuth: [] }];
    (paths[p] ??= {})[route.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Forge for ESPHome sidecar API",
      version,
      description:
        "REST API of the Forge for ESPHome sidecar. Live state streams over the WebSocket at /api/v1/events; " +
        "build workers connect to /api/v1/worker.",
    },
    servers: [{ url: "/" }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
