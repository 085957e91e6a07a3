// Errors the inventory throws to its callers. `code` matches the API's error mapping
// (validation → 400, not_found → 404, path_escape → 400, conflict → 409).
export type InventoryErrorCode = "validation" | "not_found" | "path_escape" | "conflict";

export class InventoryError extends Error {
  constructor(
    readonly code: InventoryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "InventoryError";
  }
}

/** One problem in one file, as precise as its source allows. */
export interface Diagnostic {
  file: string | null;
  line: number | null;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  if (!d.file) return d.message;
  return d.line != null ? `${d.file}:${d.line}: ${d.message}` : `${d.file}: ${d.message}`;
}
