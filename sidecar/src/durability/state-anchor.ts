// Facts about the database kept outside it (anchor-file.ts), so a database that lost its latest
// commits (a deleted forge.db-wal, an old backup put back) is noticed at start instead of quietly
// running old state again — e.g. re-flashing a device whose flash it forgot. Each section (the
// highest job id, the flash ledger's counter and newest records, the trust log's size and root…) is
// owned by one provider; issue 12's signed trust anchors become more sections of the same file.
//
// Ordering rule: the anchor never records more than the database has made durable. A flash record is
// committed with synchronous=FULL (its WAL sync covers every earlier commit) before its anchor write;
// any other write takes its snapshot, then makes the WAL durable (the checkpointer, off the main thread),
// then writes; a snapshot older than one already written is dropped. The file is written atomically.
import type { Db } from "../db/database.js";
import { anchorPath, AnchorUnreadableError, readAnchor, writeAnchor, type AnchorContent } from "./anchor-file.js";
import { ACCEPT_FLAG, DamagedDatabaseError } from "./damaged-database.js";

export interface AnchorSection<T = unknown> {
  readonly name: string;
  /** The section as the database has it now (JSON-serialisable). */
  current(): T;
  /** Where the database is older than (or differs from) the anchored value; empty when it is not. */
  behind(anchored: unknown, now: T): string[];
  /** With --accept-database: put back what the anchor knows, where it can. Returns what it did. */
  restore?(anchored: unknown): string[];
}

export interface StateAnchorOptions {
  dataDir: string;
  db: Db;
  log: (msg: string) => void;
  /** A write that fails for lack of space is reported here (and retried at the next change). */
  onWriteError?: (err: unknown) => boolean;
  debounceMs?: number;
  /** Makes every commit so far durable (db/checkpointer.ts); by default a checkpoint on this thread. */
  durable?: () => Promise<void>;
}

interface Snapshot {
  /** Order taken: a write never replaces a newer snapshot with an older one. */
  seq: number;
  sections: Record<string, unknown>;
}

export class StateAnchor {
  readonly file: string;
  private readonly sections: AnchorSection[] = [];
  private last: AnchorContent | null = null;
  private lastJson = "";
  private timer: NodeJS.Timeout | null = null;
  /** Writes go out one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private taken = 0;
  private writtenSeq = 0;

  constructor(private readonly o: StateAnchorOptions) {
    this.file = anchorPath(o.dataDir);
  }

  register(section: AnchorSection): void {
    this.sections.push(section);
  }

  /**
   * At start, before anything writes: refuses a database older than the anchor (DamagedDatabaseError)
   * unless `accept`, which restores what it can and anchors the database as it now is. Returns notes.
   */
  async verify(accept: boolean): Promise<string[]> {
    let anchored: AnchorContent | null;
    try {
      anchored = readAnchor(this.file);
    } catch (err) {
      if (!(err instanceof AnchorUnreadableError)) throw err;
      if (!accept)
        throw new DamagedDatabaseError(
          `the state anchor is damaged: ${err.message}.\nRecovery: restore ${this.file} from a backup, or start ` +
            `once with ${ACCEPT_FLAG} to anchor the database as it is now.`,
        );
      anchored = null;
    }
    this.last = anchored;
    const problems = anchored
      ? this.sections.flatMap((s) =>
          s.name in anchored.sections ? s.behind(anchored.sections[s.name], s.current()) : [],
        )
      : [];
    if (problems.length > 0 && !accept) {
      throw new DamagedDatabaseError(
        `${this.o.db.name} is older than the state anchor ${this.file}:\n` +
          problems.map((p) => `  - ${p}`).join("\n") +
          `\nThe database lost its latest commits (a deleted forge.db-wal, or an older backup put back).\n` +
          `Recovery: put back the newer forge.db (with its forge.db-wal) and start again. To go on with this ` +
          `database, start once with ${ACCEPT_FLAG}: the flashes the anchor recorded are put back on record and ` +
          `their jobs are closed, never flashed again.`,
      );
    }
    const notes = problems.length
      ? [
          ...problems.map((p) => `accepted: ${p}`),
          ...this.sections.flatMap((s) => (anchored && s.restore ? s.restore(anchored.sections[s.name]) : [])),
        ]
      : [];
    await this.writeQuietly(); // a full disk must not keep the sidecar from starting: the next change retries
    return notes;
  }

  /**
   * The flash path: the record just committed durably (synchronous=FULL syncs the WAL, and with it every
   * earlier commit) goes into the file. Resolves once it is on disk; rejects when it cannot be written.
   */
  persist(): Promise<void> {
    return this.enqueue(this.snapshot());
  }

  /** Something changed: written within debounceMs (default 2 s); a failure for lack of space is reported. */
  writeSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeQuietly();
    }, this.o.debounceMs ?? 2000);
    this.timer.unref();
  }

  /** The database as it is now, once durable; a failure is reported, not thrown. */
  async writeQuietly(): Promise<void> {
    try {
      const now = this.snapshot();
      await (this.o.durable ? this.o.durable() : this.o.db.pragma("wal_checkpoint(PASSIVE)"));
      await this.enqueue(now);
    } catch (err) {
      if (this.o.onWriteError?.(err)) return;
      this.o.log(`could not write the state anchor ${this.file}: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writeQuietly();
  }

  private snapshot(): Snapshot {
    return { seq: ++this.taken, sections: Object.fromEntries(this.sections.map((s) => [s.name, s.current()])) };
  }

  private enqueue({ seq, sections }: Snapshot): Promise<void> {
    const run = this.chain.then(async () => {
      if (seq < this.writtenSeq) return;
      const json = JSON.stringify(sections);
      if (json === this.lastJson) return;
      this.last = await writeAnchor(this.file, this.last, sections);
      this.lastJson = json;
      this.writtenSeq = seq;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
