// Admin bearer-token check for the REST API (constant-time). Worker tokens are accepted only on
// the routes a worker needs (firmware download for `upload` jobs).
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import type { WorkerTokens } from "../workers/worker-tokens.js";
import { HttpError } from "./errors.js";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export function isAdminToken(given: string | null, adminToken: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(adminToken));
}

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
