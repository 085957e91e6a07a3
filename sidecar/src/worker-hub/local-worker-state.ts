// Where the local worker keeps its state when it runs as the build user: outside the 0700 data
// folder, in `/var/lib/esphome-forge/local-worker/<instance id>/` (the build user's, 0700). The
// parent is root's, and beside each folder a root-owned `<instance id>.data-dir` names the data
// folder it serves: at start, folders whose data folder is gone (or now belongs to another
// install) are removed, so sidecars that come and go (tests, moved installs) leave nothing behind.
// Root never writes inside a folder the build user controls, except through `lchown`/`chmod` of
// the folder itself and renames into it (neither follows a planted link).
import {
  chmodSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { UserAccount } from "../build-worker/run-as-user.js";

export const STATE_ROOT = "/var/lib/esphome-forge/local-worker";
const MARKER = ".data-dir";

export interface StateDirOptions {
  dataDir: string;
  instanceId: string;
  /** `--local-worker-state-dir`: used as given (no bookkeeping). */
  explicit: string | null;
  user: UserAccount;
  log: (msg: string) => void;
  /** Tests: another root than STATE_ROOT. */
  root?: string;
}

/** Creates (or takes over) the local worker's state folder for the build user; returns it. */
export function prepareStateDir(o: StateDirOptions): string {
  if (o.explicit) {
    ownedFolder(o.explicit, o.user);
    return o.explicit;
  }
  const root = o.root ?? STATE_ROOT;
  rootFolder(root);
  pruneOrphans(root, o.instanceId, o.log);
  const dir = path.join(root, o.instanceId);
  ownedFolder(dir, o.user);
  writeFileSync(`${dir}${MARKER}`, `${o.dataDir}\n`, { mode: 0o644 });
  return dir;
}

/** Removes the state of instances whose data folder is gone or no longer carries their id. */
function pruneOrphans(root: string, self: string, log: (msg: string) => void): void {
  for (const name of readdirSync(root)) {
    if (!name.endsWith(MARKER)) continue;
    const id = name.slice(0, -MARKER.length);
    if (id === self || !/^[0-9a-f]{32}$/.test(id)) continue;
    const dataDir = readFileSync(path.join(root, name), "utf8").trim();
    let current: string | null = null;
    try {
      current = readFileSync(path.join(dataDir, "instance-id"), "utf8").trim();
    } catch {
      // gone
    }
    if (current === id) continue;
    rmSync(path.join(root, id), { recursive: true, force: true });
    rmSync(path.join(root, name), { force: true });
    log(`local worker: removed the build folders of a sidecar whose data folder ${dataDir} is gone`);
  }
}

/** Root's own folder (and its parents), which every user may pass through. */
function rootFolder(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first) for (let d = dir; d.startsWith(first); d = path.dirname(d)) chmodSync(d, 0o755);
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0) throw new Error(`${dir} must be a folder owned by root`);
}

/** A 0700 folder of the build user's; never follows a link (it may have been planted). */
function ownedFolder(dir: string, user: UserAccount): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) throw new Error(`${dir} is a symbolic link`);
  if (st && !st.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (!st) {
    // Folders created on the way must let the build user through, whatever the sidecar's umask.
    const first = mkdirSync(path.dirname(dir), { recursive: true });
    if (first) for (let d = path.dirname(dir); d.startsWith(first); d = path.dirname(d)) chmodSync(d, 0o755);
    mkdirSync(dir, { mode: 0o700 });
  }
  if (lstatSync(dir).uid !== user.uid) lchownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
}

/**
 * A local worker state folder from before builds ran as their own user (`<data>/local-worker`):
 * handed to the build user and moved, so the worker keeps its id, trust key and warm build cache.
 */
export function adoptOldState(old: string, stateDir: string, user: UserAccount, log: (msg: string) => void): void {
  if (!existsSync(path.join(old, "worker.json")) || existsSync(path.join(stateDir, "worker.json"))) return;
  try {
    chownTree(old, user);
    for (const name of readdirSync(old)) renameSync(path.join(old, name), path.join(stateDir, name));
    log(`local worker: moved its state from ${old} to ${stateDir}`);
  } catch (err) {
    log(`local worker: could not move its old state from ${old} (${(err as Error).message}); starting afresh`);
  }
}

function chownTree(dir: string, user: UserAccount): void {
  lchownSync(dir, user.uid, user.gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, user);
    else lchownSync(p, user.uid, user.gid);
  }
}
