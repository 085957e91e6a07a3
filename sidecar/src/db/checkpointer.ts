// Checkpoints forge.db's WAL on a thread of its own. A checkpoint copies the WAL into the database and
// syncs both files: tens of milliseconds of fsync on a busy disk, during which the process does nothing
// else when it runs on the main thread, as SQLite's automatic checkpoint does (inside whichever commit
// crosses the threshold) and as the state anchor's write did (an 89 ms stall at 2,000 devices).
// The thread has its own connection and checkpoints every second; the main connection's automatic
// checkpoint stays on as a backstop at a larger size, and goes back to SQLite's default if the thread
// ever stops.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./database.js";

/** The main connection's own checkpoint, in pages, while the thread runs (16 MB of WAL at 4 KB pages). */
export const BACKSTOP_PAGES = 4000;
const SQLITE_DEFAULT_PAGES = 1000;

// Plain CommonJS run with `eval`, so it needs no file of its own beside the compiled or the source module.
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { closeSync, fsyncSync, openSync } = require("node:fs");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
const checkpoint = () => db.pragma("wal_checkpoint(PASSIVE)");
// A passive checkpoint copies only what no reader still needs, and syncs the WAL only when it copies
// something; an fsync of the WAL makes every commit so far durable in any case.
function syncWal() {
  let fd;
  try {
    fd = openSync(workerData.file + "-wal", "r");
    fsyncSync(fd);
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
parentPort.on("message", (id) => {
  try {
    checkpoint();
    syncWal();
    parentPort.postMessage({ id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: String(err && err.message), code: err && err.code });
  }
});
// A failed periodic checkpoint (a full disk) leaves the WAL as it is; the next one or a sync retries.
setInterval(() => {
  try {
    checkpoint();
  } catch {}
}, workerData.everyMs);
`;

type Reply = { id: number; ok: true } | { id: number; ok: false; message: string; code?: string };

export class Checkpointer {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private stopping = false;

  constructor(
    private readonly db: Db,
    file: string,
    o: { everyMs?: number; log: (msg: string) => void },
  ) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, file, everyMs: o.everyMs ?? 1000 } });
    this.worker.unref();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.worker.on("message", (r: Reply) => this.settle(r));
    this.worker.on("error", (err) => o.log(`the WAL checkpoint thread failed: ${err.message}`));
    this.worker.on("exit", () => {
      if (this.stopping) return;
      o.log("the WAL checkpoint thread stopped; the database checkpoints itself again");
      this.fallBack(new Error("the WAL checkpoint thread stopped"));
    });
  }

  /** Resolves once every commit made before the call is durable (rejects with the thread's error). */
  sync(): Promise<void> {
    if (this.stopping) return new Promise((resolve) => resolve(this.syncHere())); // a throw rejects
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(id);
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.worker.terminate();
    this.fallBack(new Error("the checkpointer stopped"));
  }

  /** After the thread is gone: SQLite's own checkpoint again, and waiting syncs done here. */
  private fallBack(err: Error): void {
    this.stopping = true;
    try {
      this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    } catch {
      // the database is closed already
    }
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      try {
        this.syncHere();
        w.resolve();
      } catch (failed) {
        w.reject(failed instanceof Error ? failed : err);
      }
    }
  }

  private syncHere(): void {
    this.db.pragma("wal_checkpoint(PASSIVE)");
  }

  private settle(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if (r.ok) w.resolve();
    else w.reject(Object.assign(new Error(r.message), r.code ? { code: r.code } : {}));
  }
}
