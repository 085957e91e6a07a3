// Files at rest: the data folder is the sidecar's alone. The folder 0700; the database (with its
// -wal and -shm), the admin token, the local worker's token and the instance id 0600; the firmware
// archive and the trust folder 0700 folders of 0600 files (firmware images embed Wi-Fi passwords
// and API keys). New files are created that way; an existing install is tightened at every start.
// The config folder holds the user's own files: only warned about, never changed.
import { chmodSync, lstatSync, readdirSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { DataPaths } from "./paths.js";

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** Folders whose whole tree is private (relative to the data folder); a worker tightens its own state. */
const PRIVATE_TREES = ["firmware", "trust"];
/** Top-level files that hold secrets or identify the install. */
const PRIVATE_FILES = ["admin-token", "local-worker.token", "instance-id"];

export function tightenDataFolder(paths: DataPaths, log: (msg: string) => void): void {
  const changed: string[] = [];
  const set = (p: string, mode: number) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink() || (st.mode & 0o777) === mode) return;
    if ((st.mode & 0o777 & ~mode) === 0) return; // already stricter
    try {
      chmodSync(p, mode);
      changed.push(p);
    } catch (err) {
      log(`data folder: cannot make ${p} private: ${(err as Error).message}`);
    }
  };
  set(paths.dataDir, PRIVATE_DIR);
  for (const f of PRIVATE_FILES) set(join(paths.dataDir, f), PRIVATE_FILE);
  for (const f of databaseFiles(paths.dbFile)) set(f, PRIVATE_FILE);
  const trees = new Set([...PRIVATE_TREES.map((t) => join(paths.dataDir, t)), paths.firmwareDir]);
  for (const root of trees) walk(root, (p, dir) => set(p, dir ? PRIVATE_DIR : PRIVATE_FILE));
  if (changed.length) log(`data folder: made ${changed.length} file(s) and folder(s) private (0600/0700)`);
}

/** The database and the files SQLite keeps beside it in WAL mode. */
export function databaseFiles(dbFile: string): string[] {
  return [dbFile, `${dbFile}-wal`, `${dbFile}-shm`];
}

/** After opening: SQLite creates -wal and -shm with the database's mode, but an older file may differ. */
export function tightenDatabaseFiles(dbFile: string): void {
  for (const f of databaseFiles(dbFile)) {
    const st = lstatSync(f, { throwIfNoEntry: false });
    if (st?.isFile() && (st.mode & 0o077) !== 0) chmodSync(f, PRIVATE_FILE);
  }
}

/** Warns when a config folder outside the data folder has a secrets.yaml every local user can read. */
export function warnAboutOpenSecrets(paths: DataPaths, log: (msg: string) => void): void {
  const rel = relative(paths.dataDir, paths.configDir);
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return; // inside the 0700 data folder
  const file = join(paths.configDir, "secrets.yaml");
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st?.isFile() && (st.mode & 0o004) !== 0)
    log(`config folder: ${file} is readable by every local user (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
}

function walk(dir: string, visit: (p: string, isDir: boolean) => void): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  visit(dir, true);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else if (e.isFile()) visit(p, false);
  }
}
