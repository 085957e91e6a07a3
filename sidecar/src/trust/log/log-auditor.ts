// When the log is audited and what the status shows: at start and on request, incrementally from the last
// clean audit (cost: what was appended since); in full only on demand, or when no audited point is
// recorded yet (first start after an upgrade) — then in slices, so the sidecar serves meanwhile.
import type Database from "better-sqlite3";
import type { LogVerifierKey } from "./checkpoint.js";
import { AuditState } from "./audit-state.js";
import { auditInSlices, auditLogSince, type AuditedPoint, type AuditOutcome, type AuditResult } from "./log-audit.js";

export type CheckedAudit = AuditResult & { checkedAt: string };

export class LogAuditor {
  /** The last audit's result (start, recheck or full), for the status route. */
  last: CheckedAudit | null = null;
  private readonly state: AuditState;
  private running: Promise<CheckedAudit> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly logKeys: () => readonly LogVerifierKey[],
    private readonly now: () => Date,
  ) {
    this.state = new AuditState(db);
  }

  /**
   * From the last audited point, now (synchronously) when one is recorded; otherwise a full audit starts
   * in slices and this returns null (`settled()` waits for it).
   */
  incremental(trustedCheckpoints: readonly string[] = []): CheckedAudit | null {
    const from = this.state.get();
    if (!from) {
      void this.full(trustedCheckpoints);
      return null;
    }
    return this.finish(auditLogSince(this.db, from, { logKeys: this.logKeys(), trustedCheckpoints }));
  }

  /**
   * From the last audited point like `incremental`, spread over event-loop turns (a recheck on request
   * or on the sidecar's timer may cover hours of entries); a full audit when none is recorded.
   */
  recheck(trustedCheckpoints: readonly string[] = []): Promise<CheckedAudit> {
    return this.inSlices(this.state.get(), trustedCheckpoints);
  }

  /** Every entry rehashed, spread over event-loop turns. */
  full(trustedCheckpoints: readonly string[] = []): Promise<CheckedAudit> {
    return this.inSlices(null, trustedCheckpoints);
  }

  /** One sliced audit at a time: a caller arriving meanwhile shares the one running. */
  private inSlices(from: AuditedPoint | null, trustedCheckpoints: readonly string[]): Promise<CheckedAudit> {
    this.running ??= auditInSlices(this.db, { logKeys: this.logKeys(), trustedCheckpoints }, from)
      .then((outcome) => this.finish(outcome))
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Resolves once no audit is running (the status route waits rather than report a half-done audit). */
  async settled(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private finish(outcome: AuditOutcome): CheckedAudit {
    const { head, ...result } = outcome;
    const checkedAt = this.now().toISOString();
    // Only a clean audit moves the starting point: problems are reported again at every check until fixed.
    if (result.ok) this.state.record({ ...head, checkedAt });
    this.last = { ...result, checkedAt };
    return this.last;
  }
}
