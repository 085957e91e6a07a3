// The firmware archive's one deletion policy, as a pure function of what the archive holds and what
// refers to it (retention.ts gathers that and deletes what the plan says; nothing else deletes images):
// 1. Never deleted, not even under the size cap ("pinned"): what a device runs (its last flash, the
//    firmware content trust recorded as installed), what is staged for its next upload (its last
//    successful compile), what an unfinished job names, what a connected worker sent for a result not
//    handled yet, and what is being written.
// 2. Kept: each device's newest `keepPerDevice` builds (successful compiles and CI uploads).
// 3. Deleted: images of older builds; images nothing refers to — no job's result in the history, no
//    attestation (e.g. the upload of a job that then failed, or what a pruned job left behind) — once
//    they have been unreferenced for longer than the grace period. An image something still names is
//    never deleted as unreferenced.
// 4. Then, while what remains is over the size cap, the oldest unpinned images go first.

export interface ArchivedFile {
  sha256: string;
  size: number;
  /** When it was last stored (a repeat upload of the same image refreshes it). */
  lastUsedAt: number;
}

/** An archived image as one build of a device made it (an image built twice appears twice). */
export interface BuiltImage {
  sha256: string;
  deviceId: string;
  /** When the build finished (or the CI image was uploaded). */
  at: number;
  /** Its build's place among the device's builds, newest first (0 = the newest; builds at the same time
   * share one); any rank from `keepPerDevice` up means "older than the newest kept". */
  rank: number;
}

export interface RetentionInput {
  files: readonly ArchivedFile[];
  /** Only images in `files`, each with its builds' ranks (retention.ts ranks them in SQL over every build). */
  builtImages: readonly BuiltImage[];
  pinned: ReadonlySet<string>;
  /** Named by a job's result or an attestation (the trust log points at it): never "unreferenced". */
  referenced: ReadonlySet<string>;
  keepPerDevice: number;
  /** 0 = no cap. */
  maxBytes: number;
  unreferencedGraceMs: number;
  now: number;
}

export interface Removal {
  sha256: string;
  size: number;
  reason: string;
}

export function retentionPlan(i: RetentionInput): { remove: Removal[]; keptBytes: number } {
  const keep = new Set(i.pinned);
  /** Digest → the newest build naming it (its age orders deletions under the cap). */
  const newestUse = new Map<string, number>();
  const older = new Map<string, string>();
  for (const b of i.builtImages) {
    newestUse.set(b.sha256, Math.max(newestUse.get(b.sha256) ?? 0, b.at));
    if (b.rank < i.keepPerDevice) keep.add(b.sha256);
    else if (!older.has(b.sha256))
      older.set(b.sha256, `older than the ${i.keepPerDevice} newest builds of ${b.deviceId}`);
  }
  const remove: Removal[] = [];
  const remaining: ArchivedFile[] = [];
  for (const f of i.files) {
    if (keep.has(f.sha256)) remaining.push(f);
    else if (older.has(f.sha256)) remove.push({ sha256: f.sha256, size: f.size, reason: older.get(f.sha256)! });
    else if (!newestUse.has(f.sha256) && !i.referenced.has(f.sha256) && i.now - f.lastUsedAt > i.unreferencedGraceMs)
      remove.push({
        sha256: f.sha256,
        size: f.size,
        reason: "no job or upload refers to it (its job did not succeed)",
      });
    else remaining.push(f); // unreferenced but recent: a job may still be about to record it
  }
  let kept = remaining.reduce((n, f) => n + f.size, 0);
  if (i.maxBytes > 0 && kept > i.maxBytes) {
    const byAge = remaining
      .filter((f) => !i.pinned.has(f.sha256))
      .sort((a, b) => (newestUse.get(a.sha256) ?? a.lastUsedAt) - (newestUse.get(b.sha256) ?? b.lastUsedAt));
    for (const f of byAge) {
      if (kept <= i.maxBytes) break;
      kept -= f.size;
      remove.push({
        sha256: f.sha256,
        size: f.size,
        reason: `the archive is over its size cap of ${i.maxBytes} bytes`,
      });
    }
  }
  return { remove, keptBytes: kept };
}
