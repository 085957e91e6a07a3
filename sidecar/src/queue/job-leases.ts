// Who holds a running job: the worker it was assigned to, proving it with the fence of that assignment
// (128 random bits, new for every assignment). `heldBy` is the one ownership rule every message about a
// job goes through; a heartbeat's lease renewals are one transaction, however many jobs it lists.
import { randomBytes } from "node:crypto";
import type { Db } from "../db/database.js";
import type { JobRow, JobRows } from "./job-rows.js";
import { finish, requeueOrFail, type Tx } from "./job-transitions.js";

/** The worker a message comes from and the fence it presents. */
export interface Holder {
  workerId: string;
  fence: string;
}

/** A job and the fence of one of its assignments, as workers name them. */
export interface JobRef {
  jobId: number;
  fence: string;
}

/** A fresh fencing token: unguessable, so knowing earlier ones tells nothing about the next. */
export function newFence(): string {
  return randomBytes(16).toString("base64url");
}

/** The ownership rule: the job is running, assigned to this worker, under this very assignment. */
export function heldBy(row: Pick<JobRow, "state" | "worker_id" | "lease_fence"> | undefined, h: Holder): boolean {
  return (
    row?.state === "running" && row.worker_id === h.workerId && row.lease_fence != null && row.lease_fence === h.fence
  );
}

/**
 * Renews the lease of every listed job this worker holds, in one transaction. Returns the refs it holds
 * and the ones it does not (stale or foreign: the worker is told to drop them).
 */
export function renewLeases(
  db: Db,
  rows: JobRows,
  workerId: string,
  refs: readonly JobRef[],
  until: number,
): { held: JobRef[]; foreign: JobRef[] } {
  const renew = rows.stmt(
    `UPDATE jobs SET lease_expires_at = MAX(COALESCE(lease_expires_at, 0), ?)
     WHERE id = ? AND state = 'running' AND worker_id = ? AND lease_fence = ?`,
  );
  const held: JobRef[] = [];
  const foreign: JobRef[] = [];
  db.transaction(() => {
    for (const ref of refs) (renew.run(until, ref.jobId, workerId, ref.fence).changes > 0 ? held : foreign).push(ref);
  })();
  return { held, foreign };
}

/**
 * At a (re)connect: the jobs running on this worker that its hello did not name (it restarted, or an
 * assignment never reached it) go back to the queue at once; the attempt counts only if the job had started.
 */
export function requeueUnlisted(t: Tx, rows: JobRows, workerId: string, listed: ReadonlySet<number>): number[] {
  const running = rows
    .stmt("SELECT * FROM jobs WHERE state = 'running' AND worker_id = ? ORDER BY id")
    .all(workerId) as JobRow[];
  const gone = running.filter((r) => !listed.has(r.id));
  for (const row of gone) {
    const why = `worker ${workerId} reconnected without the job`;
    if (row.cancel_requested) {
      t.note(row.id, `\n[forge] ${why}; the job was cancelled\n`);
      finish(t, rows, row, "cancelled", { error: `cancelled (${why})` });
    } else requeueOrFail(t, rows, row, why, { lostBy: workerId, refund: row.phase === null });
  }
  return gone.map((r) => r.id);
}
