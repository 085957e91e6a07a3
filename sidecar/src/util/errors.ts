// Error classes shared across the sidecar. Each carries a stable `code` that the REST layer maps to
// an HTTP status (validation/path_escape/digest_mismatch → 400, not_found → 404, conflict → 409).

export abstract class ForgeError extends Error {
  abstract readonly code: string;
}

/** Input that fails validation (bad settings, bad ids, …). */
export class ValidationError extends ForgeError {
  readonly code = "validation";
  override readonly name = "ValidationError";
}

/** The request is valid but the target's current state does not allow it (e.g. cancel a finished job). */
export class ConflictError extends ForgeError {
  readonly code = "conflict";
  override readonly name = "ConflictError";
}

/** Free disk space is below the floor for new builds (settings `buildMinFreeDiskMb`): HTTP 507 `disk_low`. */
export class DiskLowError extends ForgeError {
  readonly code = "disk_low";
  override readonly name = "DiskLowError";
}

export class NotFoundError extends ForgeError {
  readonly code = "not_found";
  override readonly name = "NotFoundError";
}

/** An untrusted path would resolve outside the folder it must stay in. */
export class PathEscapeError extends ForgeError {
  readonly code = "path_escape";
  override readonly name = "PathEscapeError";
}

/** Bytes whose sha256 or size differ from what the sender announced. */
export class DigestMismatchError extends ForgeError {
  readonly code = "digest_mismatch";
  override readonly name = "DigestMismatchError";
}
