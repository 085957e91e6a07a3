// Everything that changes what Forge trusts is an entry in the transparency log: who did it, what
// changed, when. `recordTrustChange` is the one way to write such an entry (policy changes, external
// signers, worker tokens, worker approvals; key events come from the key registry in the same shape),
// and it signs a checkpoint over the new head at once, so every change is covered by a signed tree head
// the moment it is made. `listTrustChanges` reads them back for the API and the CLI.
import type Database from "better-sqlite3";
import type { LogEntryKind, TransparencyLog } from "./log-store.js";

/** Log kinds that record a change of trust (key events are logged by the key registry's hook). */
export const TRUST_CHANGE_KINDS = [
  "trust_change",
  "key_enrolled",
  "key_retired",
  "key_revoked",
  "revocation_list",
] as const satisfies readonly LogEntryKind[];

/** What changed: a short, stable name per kind of change. */
export type TrustChangeType =
  | "fleet_policy"
  | "device_policy"
  | "external_signers"
  | "worker_token_created"
  | "worker_token_revoked"
  | "worker_approved"
  | "worker_rejected"
  | "auto_approve"
  | "key_rotated";

export interface TrustChangeInput {
  change: TrustChangeType;
  /** Who: "api:alice", "worker:abc (first use)", "sidecar" … */
  actor: string;
  /** What it applies to: a device id, a worker id, "fleet" … */
  subject: string;
  /** The change itself, e.g. { from: "enforce", to: "warn" }. Never secrets. */
  detail: Record<string, unknown>;
}

export interface RecordedTrustChange {
  index: number;
  /** The signed checkpoint covering the entry (C2SP signed note). */
  checkpoint: string;
}

/** Appends one trust change to the log and signs the head that includes it. */
export function recordTrustChange(log: TransparencyLog, c: TrustChangeInput): RecordedTrustChange {
  const entry = log.appendEvent("trust_change", {
    change: c.change,
    actor: c.actor,
    subject: c.subject,
    detail: c.detail,
    at: new Date(log.nowMs()).toISOString(),
  });
  return { index: entry.index, checkpoint: log.checkpoint(entry.index + 1).envelope };
}

export interface TrustChangeView {
  index: number;
  kind: string;
  /** Unix seconds, as the log integrated it. */
  integratedTime: number;
  at: string;
  /** The logged body (canonical JSON) as an object. */
  event: Record<string, unknown>;
}

/** Newest first; `before` pages backwards by log index. */
export function listTrustChanges(db: Database.Database, opts: { limit: number; before?: number }): TrustChangeView[] {
  const marks = TRUST_CHANGE_KINDS.map(() => "?").join(", ");
  const rows = db
    .prepare(
      `SELECT idx, kind, body, integrated_time FROM trust_log_leaves
       WHERE kind IN (${marks}) AND idx < ? ORDER BY idx DESC LIMIT ?`,
    )
    .all(...TRUST_CHANGE_KINDS, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit) as {
    idx: number;
    kind: string;
    body: Buffer;
    integrated_time: number;
  }[];
  return rows.map((r) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(r.body.toString("utf8")) as Record<string, unknown>;
    } catch {
      event = { unreadable: true };
    }
    return {
      index: r.idx,
      kind: r.kind,
      integratedTime: r.integrated_time,
      at: new Date(r.integrated_time * 1000).toISOString(),
      event,
    };
  });
}
