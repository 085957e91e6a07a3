// Tells the trust engine's listeners when the revocation list expires: from that instant verdicts read
// `stale`, and the events stream announces every device again without anyone polling.
import type { TrustEngine } from "../engine.js";

/** setTimeout's limit; a longer wait is re-armed when it fires. */
const MAX_DELAY_MS = 2_147_483_647;

export class RevocationExpiryTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly engine: TrustEngine,
    private readonly log: (msg: string) => void,
  ) {}

  /** (Re)arms the timer for the current list's expiry; call after every revocation change. */
  schedule(): void {
    this.stop();
    let expiresAt: number;
    try {
      const cur = this.engine.revocations.current();
      if (!cur) return;
      expiresAt = Date.parse(cur.list.expiresAt);
    } catch {
      return; // a tampered list already reads `invalid` everywhere
    }
    const delay = expiresAt - Date.now();
    if (delay < 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (Date.now() < expiresAt) return this.schedule();
        this.log(
          "content trust: the revocation list expired; trust states are now stale until a new list is published or imported",
        );
        // Through the engine, so cached verdicts are dropped and every listener re-announces.
        this.engine.revocationsExpired();
      },
      Math.min(delay + 50, MAX_DELAY_MS),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
