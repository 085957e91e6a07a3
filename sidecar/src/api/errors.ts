// Maps every error to the JSON shape `{error: {code, message}}` with a correct status code.
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { ErrorBody } from "@esphome-forge/shared";
import { diskFullMessage, isDiskFullError } from "../durability/disk-errors.js";
import { WorkspaceError } from "../workspace/errors.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorBody["error"]["code"],
    message: string,
    readonly details?: unknown,
    /** Response headers that go with the error (Retry-After, Allow). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Record<string, [number, ErrorBody["error"]["code"]]> = {
  bad_request: [400, "bad_request"],
  validation: [400, "bad_request"],
  not_found: [404, "not_found"],
  conflict: [409, "conflict"],
  path_escape: [400, "bad_request"],
  digest_mismatch: [400, "bad_request"],
  disk_low: [507, "disk_low"],
};

const WORKSPACE_STATUS: Record<WorkspaceError["kind"], [number, ErrorBody["error"]["code"]]> = {
  not_found: [404, "not_found"],
  bad_request: [400, "bad_request"],
  forbidden: [403, "forbidden"],
  conflict: [409, "conflict"],
  precondition_required: [428, "precondition_required"],
  unavailable: [503, "unavailable"],
};

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  // A write that failed for lack of space: nothing was stored (each change is one transaction).
  if (isDiskFullError(err)) return new HttpError(507, "disk_full", diskFullMessage(null));
  if (err instanceof WorkspaceError) {
    const [status, code] = WORKSPACE_STATUS[err.kind];
    return new HttpError(status, code, err.message, err.details);
  }
  const e = err as { code?: unknown; status?: unknown; type?: unknown; message?: string; name?: string };
  // body-parser errors carry a status and a type.
  if (e?.type === "entity.too.large") return new HttpError(413, "payload_too_large", "request body too large");
  if (e?.type === "entity.parse.failed") return new HttpError(400, "bad_request", "request body is not valid JSON");
  // The client stopped sending the body (or the request timeout cut it): nothing to answer.
  if (e?.type === "request.aborted") return new HttpError(400, "bad_request", "request body aborted");
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) {
    return new HttpError(
      e.status,
      e.status === 415 ? "unsupported_media_type" : "bad_request",
      e.message ?? "bad request",
    );
  }
  const byCode = typeof e?.code === "string" ? STATUS_BY_CODE[e.code] : undefined;
  const byName = e?.name
    ? STATUS_BY_CODE[
        e.name
          .replace(/Error$/, "")
          .replace(/([a-z])([A-Z])/g, "$1_$2")
          .toLowerCase()
      ]
    : undefined;
  const hit = byCode ?? byName;
  if (hit) return new HttpError(hit[0], hit[1], e.message ?? hit[1]);
  return new HttpError(500, "internal", "internal error");
}

export const errorHandler =
  (log: (msg: string) => void, onDiskFull?: (err: unknown) => void): ErrorRequestHandler =>
  (err, _req, res, _next) => {
    const http = toHttpError(err);
    if (http.code === "disk_full") onDiskFull?.(err);
    else if (http.status >= 500) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    const body: ErrorBody = { error: { code: http.code, message: http.message } };
    if (http.details !== undefined) body.error.details = http.details;
    if (http.headers) res.set(http.headers);
    res.status(http.status).json(body);
  };

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, "not_found", `no route for ${req.method} ${req.path}`));
};
