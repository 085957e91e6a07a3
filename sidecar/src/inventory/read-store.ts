// The inventory's kept reads (read-cache.ts) in the database, one row per device. Writes are gathered
// and made in one transaction a moment later (a first start reads every device at once); a write that
// fails — a full disk — is dropped: the cost is reading that device again next time.
import type { Db } from "../db/database.js";
import type { ReadStore, StoredRead } from "./read-cache.js";

const FLUSH_AFTER_MS = 1000;

export class DbReadStore implements ReadStore {
  /** id → the read to write, or null to delete. */
  private readonly pending = new Map<string, StoredRead | null>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    /** Runs a write; a full disk makes it a no-op (see durability/disk-state.ts). */
    private readonly guard: (what: string, fn: () => void) => void = (_w, fn) => fn(),
  ) {}

  load(): Map<string, StoredRead> {
    const out = new Map<string, StoredRead>();
    for (const r of this.db.prepare("SELECT device_id, body FROM inventory_reads").all() as {
      device_id: string;
      body: string;
    }[]) {
      try {
        out.set(r.device_id, JSON.parse(r.body) as StoredRead);
      } catch {
        // A damaged row is only a lost shortcut: the device is read again.
      }
    }
    return out;
  }

  put(id: string, read: StoredRead): void {
    this.pending.set(id, read);
    this.schedule();
  }

  remove(id: string): void {
    this.pending.set(id, null);
    this.schedule();
  }

  /** Writes what is pending now (at stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    this.guard("keeping the inventory's reads", () => {
      const put = this.db.prepare(
        "INSERT INTO inventory_reads (device_id, body) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET body = excluded.body",
      );
      const del = this.db.prepare("DELETE FROM inventory_reads WHERE device_id = ?");
      this.db.transaction(() => {
        for (const [id, read] of batch) {
          if (read) put.run(id, JSON.stringify(read));
          else del.run(id);
        }
      })();
    });
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS).unref();
  }
}
