// Opens the sidecar's SQLite database: WAL journal, foreign keys, and the ordered migrations.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

/**
 * WAL with synchronous=NORMAL: a commit is in the WAL file before the call returns, so killing
 * the process (even with SIGKILL) loses nothing; only an OS crash or power cut can lose the last
 * few commits, never corrupt the file.
 */
export function openDatabase(file: string, opts: { beforeSetup?: (db: Db) => void } = {}): Db {
  if (file !== ":memory:" && !file.startsWith("file:")) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    // Open-time checks look at the file as found, before WAL setup or migrations write anything.
    opts.beforeSetup?.(db);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Applies every migration above the file's user_version, each in its own transaction. */
export function migrate(db: Db): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this sidecar knows (${MIGRATIONS.length}); upgrade the sidecar`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
