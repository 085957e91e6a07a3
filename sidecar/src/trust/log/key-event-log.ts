// Every key event (enrolled, rotated out, retired, revoked) goes into the transparency log with who did
// it. The log key's own first enrolment happens before the log exists: such events wait for `start`.
import type { KeyEvent } from "../keys/key-registry.js";
import type { TransparencyLog } from "./log-store.js";

export class KeyEventLog {
  private waiting: KeyEvent[] | null = [];
  /** Who the key events being logged now are for (`asActor`); "sidecar" otherwise. */
  private actor = "sidecar";

  /** `log`: the current log (it changes when the log key is rotated). */
  constructor(private readonly log: () => TransparencyLog) {}

  record(e: KeyEvent): void {
    if (this.waiting) this.waiting.push(e);
    else this.append(e);
  }

  /** The log exists now: the events that waited for it are written. */
  start(): void {
    const waiting = this.waiting ?? [];
    for (const e of waiting) this.append(e);
    this.waiting = null;
  }

  /** Runs `fn` with key events logged as done by `actor` (e.g. "api:alice", "worker:w1 (first use)"). */
  asActor<T>(actor: string, fn: () => T): T {
    const before = this.actor;
    this.actor = actor;
    try {
      return fn();
    } finally {
      this.actor = before;
    }
  }

  private append(e: KeyEvent): void {
    const log = this.log();
    log.appendEvent(e.type, {
      hint: e.key.hint,
      role: e.key.role,
      owner: e.key.owner,
      reason: e.key.revokeReason ?? undefined,
      actor: this.actor,
      at: new Date(log.nowMs()).toISOString(),
    });
  }
}
