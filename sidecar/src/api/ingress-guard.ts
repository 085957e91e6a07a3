// The ingress listener's guard (see edge/ingress.ts): every request, static files included, must
// come from Home Assistant's ingress proxy with a user; the identity is kept in
// res.locals.ingress for the route guard and GET /session.
import type { RequestHandler } from "express";
import type { AppListener } from "./app.js";
import type { IngressIdentity, IngressPolicy } from "../edge/ingress.js";
import { HttpError } from "./errors.js";

export function ingressGuard(policy: IngressPolicy): RequestHandler {
  return (req, res, next) => {
    const check = policy.identify(req);
    if (!check.ok) return next(new HttpError(403, "forbidden", check.message));
    res.locals.ingress = check.identity;
    next();
  };
}

/** Route authentication under ingress: the proxy has vouched for the Home Assistant user already. */
export const ingressAuthenticated: RequestHandler = (_req, res, next) => {
  if (res.locals.ingress) return next();
  next(new HttpError(403, "forbidden", "not an ingress request"));
};

export function ingressIdentity(locals: Record<string, unknown>): IngressIdentity | null {
  return (locals.ingress as IngressIdentity | undefined) ?? null;
}

/** The ingress port: only the proxy, and every route as the Home Assistant user it vouches for. */
export function ingressListener(policy: IngressPolicy): AppListener {
  return {
    gate: ingressGuard(policy),
    auth: { admin: ingressAuthenticated, adminOrWorker: ingressAuthenticated, adminOrMetrics: ingressAuthenticated },
  };
}
