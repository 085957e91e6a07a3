// Reconnect delays, one rule for every client of the sidecar: the card (both data sources) and the
// build worker. Exponential from `minMs`, doubling per attempt up to `maxMs`, with "equal jitter":
// each delay is uniform in [base/2, base]. Half the window is random, so a fleet of workers and
// dashboards that lost the same sidecar (a restart) comes back spread out rather than in lockstep,
// while the other half keeps a floor under the wait; the delay never exceeds `maxMs`.
// No imports: the card loads it on its own (`@esphome-forge/shared/backoff`), without zod.

export interface BackoffOptions {
  /** The first delay's upper bound (default 500 ms). */
  minMs?: number;
  /** The cap (default 30 s). */
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
    return Math.round(base / 2 + (base / 2) * this.random());
  }

  /** Called after a good connection: the next delay is short again. */
  reset(): void {
    this.attempt = 0;
  }
}
