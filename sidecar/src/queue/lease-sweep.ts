// The timer over running jobs: wall-clock timeouts, silent workers and lapsed leases (the checks
// themselves are lease-sweeper.ts, inside the queue's transaction); and the end of flashes' waits for
// their device (flash-steps.ts).
//
// While the disk is full, leases neither lapse nor time out and silent workers are not dropped:
// renewals could not be written, and nobody should lose a job to the sidecar's own trouble. When
// space returns, every running job gets one more lease period to be renewed (`diskFreedAgain`).
import type { Job } from "@esphome-forge/shared";
import type { Clock } from "../util/clock.js";
import type { JobQueue } from "./job-queue.js";

export interface LeaseSweepOptions {
  queue: JobQueue;
  clock: Clock;
  leaseMs: () => number;
  /** The data folder's disk (durability/disk-state.ts). */
  disk: { readonly full: boolean; guard: (what: string, fn: () => void) => unknown };
  /** A job ran past its time limit: tell its worker to stop it. */
  timedOut: (job: Job) => void;
  /** Drops the workers that stayed silent longer than a lease (worker-hub). */
  dropSilent: (now: number) => void;
  /** Closes the flashes whose assignment just ended without an outcome (fleet/flash-ledger.ts). */
  reconcileFlashes: () => void;
  /** Jobs went back to the queue: dispatch. */
  kick: () => void;
}

export class LeaseSweep {
  private lastSweep: number;
  private readonly sweepMs: number;

  constructor(private readonly o: LeaseSweepOptions) {
    this.sweepMs = Math.min(1000, Math.max(100, o.leaseMs() / 4));
    this.lastSweep = o.clock.now();
  }

  /** Starts the timer; the caller clears the handle at stop. */
  start(): NodeJS.Timeout {
    this.lastSweep = this.o.clock.now();
    return setInterval(() => this.sweep(), this.sweepMs);
  }

  /** Space returned after a full disk: every running job gets one more lease period to be renewed. */
  diskFreedAgain(): void {
    this.o.disk.guard("extending leases", () => this.o.queue.extendAllLeases(this.o.leaseMs()));
  }

  private sweep(): void {
    const { queue, disk } = this.o;
    const now = this.o.clock.now();
    const late = now - this.lastSweep - this.sweepMs;
    this.lastSweep = now;
    if (disk.full) return;
    disk.guard("the lease sweep", () => {
      for (const job of queue.expireTimeouts()) this.o.timedOut(job);
      queue.waits.expire(); // flashes that waited for their device past waitingUntil fail (build kept)
      // After a stall of the sidecar's own event loop, this timer runs before the heartbeats that waited
      // in the sockets meanwhile are read: judge silence and leases at the next sweep, not now.
      const judge = late <= this.o.leaseMs() / 2;
      if (judge) this.o.dropSilent(now);
      const lapsed = judge ? queue.expireLeases() : [];
      this.o.reconcileFlashes(); // a flash whose assignment just ended without an outcome is now interrupted
      if (lapsed.length) this.o.kick();
    });
  }
}
