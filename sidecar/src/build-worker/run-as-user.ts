// `--user NAME`: a worker started as root (the sidecar's built-in worker, or a system service)
// reads its token first, then gives up root for good and runs every build as NAME. Changing user
// also makes the kernel mark the worker non-dumpable (fs.suid_dumpable), so builds running as NAME
// cannot read its memory or /proc/<pid>/environ — and so not its token — although they share its uid.
import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export interface UserAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const NAME = /^[a-z_][a-z0-9_-]*\$?$/i;

/** The passwd entry of `name` (through NSS when `getent` exists, else /etc/passwd), or null. */
export function lookupUser(name: string): UserAccount | null {
  if (!NAME.test(name) || name.length > 64) return null;
  let line: string | undefined;
  try {
    line = execFileSync("getent", ["passwd", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch (err) {
    // exit 2 = no such user; ENOENT = no getent on this system: read the file instead
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return null;
    try {
      line = readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith(`${name}:`));
    } catch {
      return null;
    }
  }
  const f = line?.trim().split(":");
  if (!f || f.length < 7 || f[0] !== name) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  return { name, uid, gid, home: f[5] ?? "" };
}

/**
 * Becomes `name` for good: its primary group only, its gid, its uid, and HOME/USER/LOGNAME for the builds
 * (HOME falls back to `fallbackHome` when the account's home is not a folder it owns). Throws
 * with a readable reason; a worker that cannot drop privileges must not run builds as root.
 */
export function becomeUser(name: string, fallbackHome: string): UserAccount {
  if (typeof process.getuid !== "function" || typeof process.setuid !== "function")
    throw new Error("--user works on Linux and other POSIX systems only");
  const account = lookupUser(name);
  if (!account) throw new Error(`--user: there is no user named ${JSON.stringify(name)}`);
  if (account.uid === 0) throw new Error("--user must name an unprivileged user, not root");
  const uid = process.getuid();
  if (uid !== 0 && uid !== account.uid)
    throw new Error(`--user ${name} needs the worker to start as root (it runs as uid ${uid})`);
  if (uid === 0) {
    process.setgroups!([account.gid]); // its own group only: none of root's supplementary groups
    process.setgid!(account.gid);
    process.setuid(account.uid);
    let regained = false;
    try {
      process.setuid(0);
      regained = true;
    } catch {
      // expected: root is gone for good
    }
    if (regained || process.geteuid!() !== account.uid || process.getegid!() !== account.gid)
      throw new Error(`--user ${name}: could not drop root privileges`);
  }
  const home = ownedFolder(account.home, account.uid) ? account.home : fallbackHome;
  process.env.HOME = home;
  process.env.USER = account.name;
  process.env.LOGNAME = account.name;
  return { ...account, home };
}

function ownedFolder(dir: string, uid: number): boolean {
  if (!dir.startsWith("/")) return false;
  const st = statSync(dir, { throwIfNoEntry: false });
  return st?.isDirectory() === true && st.uid === uid;
}

/**
 * `worker --user NAME`: prepares the state folder for that user while still root (default
 * `~NAME/.local/state/esphome-forge/worker`), becomes the user, and moves into the folder so
 * builds and probes never start in one of root's. Returns the state folder.
 */
export function runAsUser(name: string, stateDir: string | null): string {
  const account = lookupUser(name);
  if (!account) throw new Error(`--user: there is no user named ${JSON.stringify(name)}`);
  const dir = stateDir ?? path.join(account.home, ".local", "state", "esphome-forge", "worker");
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st && process.getuid?.() === 0) {
    // Every folder created on the way is the user's (`~/.local/state/…` must be enterable).
    const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (let d = dir; first && d.startsWith(first); d = path.dirname(d)) chownSync(d, account.uid, account.gid);
  } else if (st && st.uid !== account.uid) {
    throw new Error(`--user ${name}: the state folder ${dir} belongs to uid ${st.uid}; chown -R it to ${name}`);
  }
  const user = becomeUser(name, dir);
  process.chdir(dir);
  console.log(`esphome-forge worker: running as ${user.name} (uid ${user.uid}); builds run as that user`);
  return dir;
}
