// When to ask the link again for `_esphomelib._tcp`: soon after start (or after something went
// away, when a device may be rebooting or waking), then less and less often, doubling up to a cap.
// The cap stays well below the offline silence so a device that is up answers several times
// before it could be called offline; a device waking from deep sleep announces itself, and the
// next query catches it when that announcement was missed.

export interface QueryScheduleOptions {
  /** First interval after start or a reset (default 1 s). */
  baseMs?: number;
  /** Longest interval (default 60 s); never more than a third of the offline silence. */
  maxMs?: number;
  /** The offline silence, read on every step (a setting). */
  offlineAfterMs: () => number;
}

export class QuerySchedule {
  private next: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(private readonly o: QueryScheduleOptions) {
    this.baseMs = o.baseMs ?? 1000;
    this.maxMs = o.maxMs ?? 60_000;
    this.next = this.baseMs;
  }

  /** The longest interval allowed now. */
  cap(): number {
    return Math.max(this.baseMs, Math.min(this.maxMs, Math.floor(this.o.offlineAfterMs() / 3)));
  }

  /** The delay before the next query; each call doubles the one after (up to the cap). */
  step(): number {
    const delay = Math.min(this.next, this.cap());
    this.next = Math.min(delay * 2, this.cap());
    return delay;
  }

  /** Start over with short intervals. */
  reset(): void {
    this.next = this.baseMs;
  }
}
