// Token checks for the REST API (constant-time). Worker tokens are accepted only on the routes a
// worker needs (firmware download for `upload` jobs), the read-only metrics token only on
// /metrics. Every wrong token counts against the client address in the failure limiter; an
// address over the limit gets 429 with Retry-After for every authenticated route until it has
// waited, whatever token it sends.
import type { RequestHandler } from "express";
import { clientAddress } from "../edge/client-address.js";
import type { FailureLimiter } from "../edge/failure-limiter.js";
import type { WorkerTokens } from "../worker-hub/worker-tokens.js";
import { bearer, isAdminToken } from "../util/admin-token.js";
import { HttpError } from "./errors.js";

function tokenGuard(limiter: FailureLimiter, accepts: (token: string) => boolean, what: string): RequestHandler {
  return (req, _res, next) => {
    const addr = clientAddress(req.socket);
    const wait = limiter.retryAfterSeconds(addr);
    if (wait > 0) return next(tooMany(addr, wait));
    const token = bearer(req.headers.authorization);
    if (!token) return next(new HttpError(401, "unauthorized", "missing bearer token"));
    if (accepts(token)) return next();
    limiter.fail(addr);
    next(new HttpError(401, "unauthorized", `invalid ${what}`));
  };
}

export function requireAdmin(adminToken: string, limiter: FailureLimiter): RequestHandler {
  return tokenGuard(limiter, (t) => isAdminToken(t, adminToken), "admin token");
}

/**
 * The admin token, or the token of an admitted worker (approved, connected: `admitted`) — which the route
 * finds in `res.locals.workerTokenId` and holds to what that worker was assigned.
 */
export function requireAdminOrWorker(
  adminToken: string,
  tokens: WorkerTokens,
  limiter: FailureLimiter,
  admitted: (tokenId: string) => boolean,
): RequestHandler {
  return (req, res, next) =>
    tokenGuard(
      limiter,
      (t) => {
        if (isAdminToken(t, adminToken)) return true;
        const auth = tokens.authenticate(t);
        if (!auth.ok || !admitted(auth.tokenId)) return false;
        res.locals.workerTokenId = auth.tokenId;
        return true;
      },
      "token",
    )(req, res, next);
}

/** The metrics route: the admin token, or the read-only metrics token when one is configured. */
export function requireAdminOrMetrics(
  adminToken: string,
  metricsToken: string | null,
  limiter: FailureLimiter,
): RequestHandler {
  return tokenGuard(
    limiter,
    (t) => isAdminToken(t, adminToken) || (metricsToken !== null && isAdminToken(t, metricsToken)),
    "admin or metrics token",
  );
}

export function tooMany(addr: string, waitSeconds: number): HttpError {
  return new HttpError(
    429,
    "too_many_requests",
    `too many wrong tokens from ${addr}; retry in ${waitSeconds} s`,
    undefined,
    { "Retry-After": String(waitSeconds) },
  );
}
