// Reconnect delays: exponential from `minMs` up to `maxMs`, with ±20 % jitter so a fleet of
// workers that lost the same sidecar does not reconnect in lockstep.

export interface BackoffOptions {
  minMs?: number;
  maxMs?: number;
  /** Injected for tests; returns a number in [0, 1). */
  random?: () => number;
}

export class Backoff {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.minMs = opts.minMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the base until the cap. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const jittered = base * (0.8 + 0.4 * this.random());
    return Math.round(Math.min(this.maxMs, jittered));
  }

  /** Called after a good connection (welcome received). */
  reset(): void {
    this.attempt = 0;
  }
}
