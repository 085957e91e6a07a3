// Slows down token guessing: every wrong token a client address presents (REST, the events ticket
// route, both WebSocket upgrades) fills its bucket by one, and the bucket drains at a steady rate.
// A full bucket means every authenticated request from that address answers 429 with Retry-After,
// even with the right token, so the limit cannot be used as an oracle. A request that presents
// no token at all is not a guess and does not count.

export interface FailureLimiterOptions {
  /** Wrong tokens allowed in a burst before the address is refused. */
  burst?: number;
  /** One failure drains from the bucket every this many ms (the sustained guessing rate). */
  drainMs?: number;
  /** Addresses remembered at most; the least recently failing are forgotten first. */
  maxClients?: number;
  now?: () => number;
}

interface Bucket {
  level: number;
  at: number;
}

export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly drainMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(o: FailureLimiterOptions = {}) {
    this.burst = o.burst ?? 20;
    this.drainMs = o.drainMs ?? 3000;
    this.maxClients = o.maxClients ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Seconds this address must wait before an authenticated request is looked at; 0 = go ahead. */
  retryAfterSeconds(addr: string): number {
    // `burst` failures are allowed; the address may try again once one of them has drained.
    const over = this.level(addr) - (this.burst - 1);
    if (over <= 0) return 0;
    return Math.max(1, Math.ceil((over * this.drainMs) / 1000));
  }

  /** Records one wrong token from this address. */
  fail(addr: string): void {
    const level = this.level(addr);
    this.buckets.delete(addr); // re-insert: the Map's order is then least recently failed first
    this.buckets.set(addr, { level: level + 1, at: this.now() });
    if (this.buckets.size > this.maxClients) this.evict();
  }

  private level(addr: string): number {
    const b = this.buckets.get(addr);
    if (!b) return 0;
    return Math.max(0, b.level - (this.now() - b.at) / this.drainMs);
  }

  private evict(): void {
    for (const [addr] of this.buckets) {
      if (this.buckets.size <= this.maxClients) return;
      this.buckets.delete(addr);
    }
  }
}
