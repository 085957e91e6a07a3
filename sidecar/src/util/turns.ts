// Spreads bursts of heavy work over event-loop turns. Timers (every lease, heartbeat and the loop-delay
// monitor) only run between loop iterations, and one iteration runs every I/O callback that is ready and
// then every immediate queued before it: worker results arriving together were verified, approved and
// recorded in one iteration (stalls of 51–76 ms at 2,000 devices). Each holder of a turn here resumes in
// an iteration of its own, in the order they asked.

export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves in a later loop iteration than the previous caller's turn (first come, first served). */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Callers waiting for a turn. */
  get pending(): number {
    return this.waiting.length;
  }

  // An immediate queued while immediates run waits for the next iteration: one turn each.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()?.();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}
