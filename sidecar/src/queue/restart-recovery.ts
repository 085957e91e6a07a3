// Running jobs from before a restart. The built-in local worker died with the old process, so its
// jobs go back to the queue now; remote workers get a lease period plus their reconnect backoff to
// come back and renew theirs. A full disk at start is a state like any other: these writes wait for
// space (the caller's `guard`, durability/disk-state.ts).
import type { JobQueue } from "./job-queue.js";

/** How long remote workers get, beyond one lease, to reconnect after a sidecar restart (their backoff caps at 30 s). */
export const RECONNECT_GRACE_MS = 15_000;

export interface RestartRecoveryOptions {
  queue: JobQueue;
  /** Whether this worker id was the sidecar's built-in local worker. */
  wasLocal: (workerId: string) => boolean;
  /** Closes the flashes whose assignment ended with the old process (fleet/flash-ledger.ts). */
  reconcileFlashes: () => void;
  /** The flash outcome on record for an assignment, if any (fleet/flash-ledger.ts). */
  flashOutcome: (jobId: number, fence: string) => "succeeded" | "failed" | "cancelled" | "interrupted" | null;
  leaseMs: number;
  guard: (what: string, fn: () => void) => unknown;
}

export function recoverRunningJobs(o: RestartRecoveryOptions): void {
  const { queue } = o;
  o.guard("requeueing the local worker's jobs", () => {
    for (const job of queue.running()) {
      const fence = queue.fenceOf(job.id);
      // Its flash ended on record but the job's own end was lost with the database's latest commits:
      // closed as the flash ended, never run (and flashed) again.
      const flashed = fence == null ? null : o.flashOutcome(job.id, fence);
      if (flashed === "succeeded" || flashed === "failed") {
        queue.closeFromFlashRecord(
          job.id,
          flashed,
          `the sidecar restarted after this job's flash ${flashed} (on record) but before the job's end was saved; closed from the flash record`,
        );
        continue;
      }
      if (job.workerId && fence != null && o.wasLocal(job.workerId)) {
        const holder = { workerId: job.workerId, fence };
        queue.release(job.id, holder, "the built-in local worker stopped with the sidecar", false);
      }
    }
    o.reconcileFlashes(); // a flash whose assignment ended with the old process is now interrupted
  });
  o.guard("extending leases", () => queue.extendAllLeases(o.leaseMs + RECONNECT_GRACE_MS));
}
