// Recognising "the disk is full" in the shapes it arrives in: SQLite's SQLITE_FULL (better-sqlite3's
// SqliteError), and ENOSPC / EDQUOT from Node's file calls (archive writes, the anchor file).

const FS_CODES = new Set(["ENOSPC", "EDQUOT"]);

export function isDiskFullError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return code === "SQLITE_FULL" || FS_CODES.has(code);
}

/** What a refused request or message says, with the free space when it is known. */
export function diskFullMessage(freeBytes: number | null): string {
  const free = freeBytes === null ? "" : ` (${formatMiB(freeBytes)} free)`;
  return `the sidecar's data folder is out of disk space${free}; nothing was written — free some space and it resumes by itself`;
}

export function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
