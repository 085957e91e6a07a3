// Numbered worker log chunks (protocol: `log.seq`, `log.keptFrom`, `log_ack`): which chunk of the
// current assignment was stored last, and what a new one means — the next in line (store it), a
// repeat sent again after a reconnect (drop it), a gap the worker declared lost for good (mark it),
// or one that ran ahead of a chunk still to come again (wait for that one).
import type { Db } from "../db/database.js";

export type ChunkVerdict = { kind: "store"; lost: number } | { kind: "duplicate" } | { kind: "ahead"; lost: number };

export class LogSequence {
  private readonly get;
  private readonly put;

  constructor(db: Db) {
    this.get = db.prepare("SELECT fence, seq FROM job_log_seq WHERE job_id = ?");
    this.put = db.prepare(
      `INSERT INTO job_log_seq (job_id, fence, seq) VALUES (?, ?, ?)
       ON CONFLICT(job_id) DO UPDATE SET fence = excluded.fence, seq = excluded.seq`,
    );
  }

  /** The last chunk stored for this assignment (0 before the first). */
  last(jobId: number, fence: string): number {
    const r = this.get.get(jobId) as { fence: string; seq: number } | undefined;
    return r && r.fence === fence ? r.seq : 0;
  }

  /**
   * Decides about chunk `seq` and records the new position inside the caller's transaction. `lost`
   * counts the chunks between the last stored one and `keptFrom` that will never come.
   */
  accept(jobId: number, fence: string, seq: number, keptFrom: number): ChunkVerdict {
    const last = this.last(jobId, fence);
    if (seq <= last) return { kind: "duplicate" };
    const lost = Math.max(0, Math.min(keptFrom, seq) - 1 - last);
    const from = last + lost;
    if (seq !== from + 1) {
      if (lost > 0) this.put.run(jobId, fence, from);
      return { kind: "ahead", lost };
    }
    this.put.run(jobId, fence, seq);
    return { kind: "store", lost };
  }
}

export function gapMarker(chunks: number): string {
  return (
    `\n\x1b[33m[forge] ${chunks} chunk${chunks === 1 ? "" : "s"} of build output never arrived here ` +
    `(the worker's buffer overflowed while the sidecar was unreachable); the output continues below\x1b[0m\n`
  );
}
