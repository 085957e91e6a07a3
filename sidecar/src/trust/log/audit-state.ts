// Where the last clean audit of the log ended (size, root, the key events up to there), so the next
// audit goes on from there. Kept in the database for now; anchoring it outside (where a database edit
// cannot reach it) is the job of the trust anchors, which only need to replace this module.
import type Database from "better-sqlite3";
import type { KeyEventSummary, KeyHistory } from "../keys/key-audit.js";
import type { AuditedPoint } from "./log-audit.js";

export class AuditState {
  private readonly read;
  private readonly write;

  constructor(db: Database.Database) {
    this.read = db.prepare("SELECT tree_size, root_hash, key_events, checked_at FROM trust_log_audit WHERE id = 1");
    this.write = db.prepare(
      `INSERT INTO trust_log_audit (id, tree_size, root_hash, key_events, checked_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash,
         key_events = excluded.key_events, checked_at = excluded.checked_at`,
    );
  }

  /** The last audited point; null when none is recorded or the row does not read (then a full audit runs). */
  get(): AuditedPoint | null {
    const row = this.read.get() as
      { tree_size: number; root_hash: Buffer; key_events: string; checked_at: string } | undefined;
    if (!row) return null;
    try {
      const events = JSON.parse(row.key_events) as Record<string, KeyHistory>;
      const keyEvents: KeyEventSummary = new Map(Object.entries(events));
      return { treeSize: row.tree_size, rootHash: row.root_hash, keyEvents, checkedAt: row.checked_at };
    } catch {
      return null;
    }
  }

  record(p: AuditedPoint): void {
    this.write.run(p.treeSize, p.rootHash, JSON.stringify(Object.fromEntries(p.keyEvents)), p.checkedAt);
  }
}
