// Where the last clean audit of the log ended (size, root, the key events up to there), so the next
// audit goes on from there. The sidecar keeps it in a file outside the database
// (`<data>/trust/audit-state.json`): an edited database cannot move the starting point past its own edit.
// A missing file means a full audit. Without a file (tests, tools) it lives in the database's table.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type Database from "better-sqlite3";
import type { KeyEventSummary, KeyHistory } from "../keys/key-audit.js";
import type { AuditedPoint } from "./log-audit.js";

export class AuditState {
  private readonly read;
  private readonly write;

  constructor(
    db: Database.Database,
    private readonly file: string | null = null,
  ) {
    this.read = db.prepare("SELECT tree_size, root_hash, key_events, checked_at FROM trust_log_audit WHERE id = 1");
    this.write = db.prepare(
      `INSERT INTO trust_log_audit (id, tree_size, root_hash, key_events, checked_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash,
         key_events = excluded.key_events, checked_at = excluded.checked_at`,
    );
  }

  /** The last audited point; null when none is recorded or the row does not read (then a full audit runs). */
  get(): AuditedPoint | null {
    const row = this.file ? this.readFile(this.file) : this.readRow();
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
    const events = JSON.stringify(Object.fromEntries(p.keyEvents));
    if (!this.file) {
      this.write.run(p.treeSize, p.rootHash, events, p.checkedAt);
      return;
    }
    const body: FileRow = {
      tree_size: p.treeSize,
      root_hash: p.rootHash.toString("base64"),
      key_events: events,
      checked_at: p.checkedAt,
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(body) + "\n", { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private readRow(): Row | undefined {
    return this.read.get() as Row | undefined;
  }

  private readFile(file: string): Row | undefined {
    try {
      const f = JSON.parse(readFileSync(file, "utf8")) as FileRow;
      return { ...f, root_hash: Buffer.from(f.root_hash, "base64") };
    } catch {
      return undefined; // missing or damaged: a full audit
    }
  }
}

interface Row {
  tree_size: number;
  root_hash: Buffer;
  key_events: string;
  checked_at: string;
}
type FileRow = Omit<Row, "root_hash"> & { root_hash: string };
