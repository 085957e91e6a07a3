// The route table (shared/src/api-routes.ts) at work on every request under /api/v1, before any
// handler: which route a request is for (a known path with a method it does not support answers
// 405 with Allow), who may call it (the table's `auth`, `workers` and `metrics`), and its path parameters and query parsed
// with the table's schemas (400 naming the problem; an empty query value is refused rather than
// read as "no filter"). Handlers read the parsed values with routeParams() / routeQuery().
import type { RequestHandler, Response } from "express";
import { ROUTES, type RouteSpec } from "@esphome-forge/shared";
import { describeIssues } from "../util/describe-issues.js";
import { HttpError } from "./errors.js";

interface CompiledRoute {
  spec: RouteSpec;
  /** Like express: case-insensitive, an optional trailing slash. */
  pattern: RegExp;
  names: string[];
}

function compile(spec: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const source = spec.path
    .split("/")
    .map((part) => {
      if (!part.startsWith(":")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(part.slice(1));
      return "([^/]+)";
    })
    .join("/");
  return { spec, pattern: new RegExp(`^${source}/?$`, "i"), names };
}

const COMPILED = ROUTES.map(compile);

/** The methods a path supports, as an Allow header lists them. */
function allowed(matches: CompiledRoute[]): string {
  const methods = new Set(matches.map((m) => m.spec.method.toUpperCase()));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort().join(", ");
}

/** Finds the request's route (res.locals.route); 405 for a known path with another method. */
export const matchRoute: RequestHandler = (req, res, next) => {
  const matches = COMPILED.filter((c) => c.pattern.test(req.path));
  if (matches.length === 0) return next();
  const method = req.method === "HEAD" ? "get" : req.method.toLowerCase();
  const hit = matches.find((m) => m.spec.method === method);
  if (!hit) {
    const allow = allowed(matches);
    return next(
      new HttpError(
        405,
        "method_not_allowed",
        `${req.method} is not supported on ${req.path}; use ${allow}`,
        undefined,
        {
          Allow: allow,
        },
      ),
    );
  }
  res.locals.route = hit;
  next();
};

/** How a listener authenticates the routes that need it (tokens on the API port, the proxy under ingress). */
export interface RouteAuth {
  admin: RequestHandler;
  /** Routes with `workers: true`: the admin token or a worker token. */
  adminOrWorker: RequestHandler;
  /** Routes with `metrics: true`: the admin token or the read-only metrics token. */
  adminOrMetrics: RequestHandler;
}

/**
 * Authentication as the route's spec says: none for public routes, admin or worker token where
 * the spec lets workers in (`workers: true`), admin or metrics token for `metrics: true`, else the
 * admin token. Paths outside the table need the admin token too, so probing for routes without
 * one learns nothing but 401.
 */
export function authenticateRoute(auth: RouteAuth): RequestHandler {
  return (req, res, next) => {
    const spec = (res.locals.route as CompiledRoute | undefined)?.spec;
    if (spec && !spec.auth) return next();
    const guard = spec?.workers ? auth.adminOrWorker : spec?.metrics ? auth.adminOrMetrics : auth.admin;
    guard(req, res, next);
  };
}

/** Parses path parameters and query with the route's schemas into res.locals. */
export const parseRoute: RequestHandler = (req, res, next) => {
  const route = res.locals.route as CompiledRoute | undefined;
  if (!route) return next();
  const raw = route.pattern.exec(req.path)!.slice(1);
  const params: Record<string, string> = {};
  for (const [i, name] of route.names.entries()) {
    try {
      params[name] = decodeURIComponent(raw[i]!);
    } catch {
      return next(new HttpError(400, "bad_request", `path parameter ${name} is not valid percent-encoding`));
    }
  }
  if (route.spec.params) {
    const r = route.spec.params.safeParse(params);
    if (!r.success)
      return next(new HttpError(400, "bad_request", `invalid path: ${describeIssues(r.error.issues)}`, r.error.issues));
    res.locals.params = r.data;
  }
  const query = req.query as Record<string, unknown>;
  const empty = Object.keys(query).filter((k) => query[k] === "" || (Array.isArray(query[k]) && query[k].includes("")));
  if (empty.length > 0)
    return next(new HttpError(400, "bad_request", `empty query parameter ${empty.join(", ")}: leave it out instead`));
  if (route.spec.query) {
    const r = route.spec.query.safeParse(query);
    if (!r.success)
      return next(
        new HttpError(400, "bad_request", `invalid query: ${describeIssues(r.error.issues)}`, r.error.issues),
      );
    res.locals.query = r.data;
  }
  next();
};

/** The path parameters as the route's `params` schema parsed them. */
export function routeParams<T>(res: Response): T {
  return res.locals.params as T;
}

/** The query as the route's `query` schema parsed it. */
export function routeQuery<T>(res: Response): T {
  return res.locals.query as T;
}
