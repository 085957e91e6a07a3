// Errors of the workspace, by kind; the API maps each kind to its status code.
export type WorkspaceErrorKind =
  "not_found" | "bad_request" | "forbidden" | "conflict" | "precondition_required" | "unavailable";

export class WorkspaceError extends Error {
  constructor(
    readonly kind: WorkspaceErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
