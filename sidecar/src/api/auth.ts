// Admin bearer-token check for the REST API (constant-time). Worker tokens are accepted only on
// the routes a worker needs (firmware download for `upload` jobs).
import type { RequestHandler } from "express";
import type { WorkerTokens } from "../worker-hub/worker-tokens.js";
import { bearer, isAdminToken } from "../util/admin-token.js";
import { HttpError } from "./errors.js";

export function requireAdmin(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearer(req.headers.authorization);
    if (!token) return next(new HttpError(401, "unauthorized", "missing bearer token"));
    if (!isAdminToken(token, adminToken)) return next(new HttpError(401, "unauthorized", "invalid admin token"));
    next();
  };
}

export function requireAdminOrWorker(adminToken: string, tokens: WorkerTokens): RequestHandler {
  return (req, _res, next) => {
    const token = bearer(req.headers.authorization);
    if (!token) return next(new HttpError(401, "unauthorized", "missing bearer token"));
    if (isAdminToken(token, adminToken) || tokens.authenticate(token).ok) return next();
    next(new HttpError(401, "unauthorized", "invalid token"));
  };
}
