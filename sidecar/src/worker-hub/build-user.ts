// Who build code on this machine runs as: the built-in local worker's builds and the inventory's
// own `esphome config`. Build code (ESPHome, its external components, pip) is untrusted: a sidecar
// running as root never runs it as root next to its keys, database and admin token. The local
// worker starts as root, reads its token, and drops to an unprivileged system user (default
// `esphome-forge-build`, created with useradd on first start) whose state folder lies outside the
// 0700 data folder; `esphome config` runs as that user on a copy (inventory/config-sandbox.ts).
// When that is impossible (no useradd, or the user cannot run the build: ESPHome installed under
// /root, say), the automatic setting falls back to root and says so loudly at every start; a user
// named explicitly never falls back.
import { execFile, spawn } from "node:child_process";
import { lstatSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { buildEnv } from "../isolation/build-env.js";
import { lookupUser, type UserAccount } from "../build-worker/run-as-user.js";
import { adoptOldState, prepareStateDir } from "./local-worker-state.js";

export const DEFAULT_BUILD_USER = "esphome-forge-build";
/** The build user's home when useradd creates it (HOME for builds: PlatformIO's toolchains). */
const DEFAULT_HOME = "/var/lib/esphome-forge-build";

/** `auto` (a separate user when running as root), `none` (the sidecar's own user) or a user name. */
export type BuildUserSetting = string;

export interface BuildIsolation {
  /** The user the local worker's builds run as, or null for the sidecar's own user. */
  user: UserAccount | null;
  /** The local worker's state folder. */
  stateDir: string;
  /** The inventory's `esphome config` runs as this user in a copy of the device's files (null: in place). */
  inventory: { user: UserAccount; dataRoot: string } | null;
  /** Lines for the log: who build code runs as, and what that protects. */
  summary: string[];
}

export interface PlanOptions {
  dataDir: string;
  instanceId: string;
  setting: BuildUserSetting;
  /** Explicit state folder for the local worker (else `<build user's home>/<instanceId>`). */
  stateDir: string | null;
  /** The stand-in build command (tests, benchmarks), if any. */
  buildCommand: string | null;
  /** The ESPHome the sidecar found (it runs as the sidecar already), if any. */
  esphomeBin: string | null;
  log: (msg: string) => void;
}

const EXPOSED = "build code can read the sidecar's keys, database and admin token";

/** Decides who build code runs as; throws only for a user named explicitly that cannot be used. */
export async function planBuildIsolation(o: PlanOptions): Promise<BuildIsolation> {
  const own = path.join(o.dataDir, "local-worker");
  const unprotected = (line: string): BuildIsolation => ({
    user: null,
    stateDir: o.stateDir ?? own,
    inventory: null,
    summary: [line],
  });
  if (process.getuid?.() !== 0) {
    return unprotected(
      `build isolation: builds and \`esphome config\` run as ${userInfo().username}, the sidecar's own user, and can ` +
        `read its data folder; start the sidecar as root to have them run as ${DEFAULT_BUILD_USER}, or build on remote workers only`,
    );
  }
  const asRoot = (why: string, what = "builds and `esphome config`") =>
    unprotected(`build isolation: WARNING: ${what} run as root (${why}): ${EXPOSED}`);
  if (o.setting === "none") return asRoot("--local-worker-user none");
  const auto = o.setting === "auto";
  const name = auto ? DEFAULT_BUILD_USER : o.setting;
  let user: UserAccount;
  try {
    user = await ensureUser(name, auto);
  } catch (err) {
    if (!auto) throw err;
    return asRoot((err as Error).message);
  }
  // Can the build user run what the builds and the inventory run? (The sidecar already ran ESPHome.)
  const probeDir = usableHome(user) ? user.home : "/";
  const versionOf = (command: string) => ({
    command: "/bin/sh",
    args: ["-c", command],
    env: { FORGE_PHASE: "version" },
  });
  const esphome = o.esphomeBin ? await runProbe({ command: o.esphomeBin, args: ["version"] }, probeDir, user) : null;
  const build = o.buildCommand ? await runProbe(versionOf(o.buildCommand), probeDir, user) : esphome;
  const resolveAsUser = o.esphomeBin !== null && esphome === null;
  const notes: string[] = [];
  let rootBuilds: string | null = null;
  if (build) {
    // The build user cannot run the build. Automatic: the local worker falls back to root if root can.
    const what = o.buildCommand ?? o.esphomeBin;
    const rootCan = o.buildCommand ? (await runProbe(versionOf(o.buildCommand), probeDir, null)) === null : true;
    if (auto && rootCan)
      rootBuilds = `${name} cannot run ${what}: ${build}; install ESPHome and Node where other users can run them`;
    else
      notes.push(`build isolation: ${name} cannot run ${what} (${build}); the local worker's jobs fail until it can`);
  }
  if (rootBuilds && !resolveAsUser) return asRoot(rootBuilds);

  // Only now the state folder: a sidecar whose build code runs as root leaves nothing behind.
  let stateDir: string;
  try {
    stateDir = prepareStateDir({
      dataDir: o.dataDir,
      instanceId: o.instanceId,
      explicit: o.stateDir,
      user,
      log: o.log,
    });
  } catch (err) {
    const why = `cannot prepare the local worker's state folder for ${name}: ${(err as Error).message}`;
    if (!auto) throw new Error(why);
    return asRoot(why);
  }
  const inventory = resolveAsUser
    ? { user: { ...user, home: usableHome(user) ? user.home : stateDir }, dataRoot: path.join(stateDir, "inventory") }
    : null;
  const summary = rootBuilds
    ? asRoot(rootBuilds, "the local worker's builds").summary
    : [
        `build isolation: the local worker's builds run as ${name} (uid ${user.uid}) in ${stateDir}, out of reach of the data folder`,
      ];
  if (inventory) summary.push(`build isolation: \`esphome config\` for the inventory runs as ${name} too`);
  else if (o.esphomeBin)
    summary.push(
      `build isolation: WARNING: \`esphome config\` runs as root (${name} cannot run ${o.esphomeBin}: ${esphome}): ${EXPOSED}`,
    );
  if (rootBuilds) return { ...unprotected(""), inventory, summary: [...summary, ...notes] };
  adoptOldState(own, stateDir, user, o.log);
  return { user, stateDir, inventory, summary: [...summary, ...notes] };
}

/** The account, created as a system user when `create` is set and it does not exist yet. */
async function ensureUser(name: string, create: boolean): Promise<UserAccount> {
  for (let attempt = 0; ; attempt++) {
    const found = lookupUser(name);
    if (found) {
      if (found.uid === 0) throw new Error(`the build user ${name} is root`);
      return found;
    }
    if (!create) throw new Error(`there is no user named ${name} (create it, or use --local-worker-user auto)`);
    // Several sidecars starting at once race for /etc/passwd's lock: look again, then retry.
    const err = await useradd(name);
    if (err === NO_USERADD || (err && attempt >= 4)) throw new Error(`could not create the user ${name}: ${err}`);
    if (err) await new Promise((r) => setTimeout(r, 200 + 200 * attempt));
  }
}

const NO_USERADD = "useradd is not installed";

function useradd(name: string): Promise<string | null> {
  const args = [
    "--system",
    "--user-group",
    "--create-home",
    "--home-dir",
    DEFAULT_HOME,
    "--shell",
    "/usr/sbin/nologin",
  ];
  return new Promise((resolve) =>
    execFile(
      "useradd",
      [...args, "--comment", "Forge for ESPHome builds", name],
      { timeout: 30_000 },
      (err, _out, stderr) => {
        if (!err) return resolve(null);
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return resolve(NO_USERADD);
        resolve(stderr.trim().split("\n").at(-1) || err.message);
      },
    ),
  );
}

export function usableHome(user: UserAccount): boolean {
  if (!path.isAbsolute(user.home) || user.home === "/") return false;
  const st = lstatSync(user.home, { throwIfNoEntry: false });
  return st?.isDirectory() === true && st.uid === user.uid;
}

/**
 * Runs the probe in `cwd` (as `user` with HOME there, or as the sidecar's user when null); null on
 * success, else why not. A probe only asks for a version: it writes nothing.
 */
function runProbe(
  probe: { command: string; args: string[]; env?: Record<string, string> },
  cwd: string,
  user: UserAccount | null,
): Promise<string | null> {
  return new Promise((resolve) => {
    const env = buildEnv(process.env, [], {
      ...probe.env,
      ...(user ? { HOME: cwd, USER: user.name, LOGNAME: user.name } : {}),
    });
    const child = spawn(probe.command, probe.args, {
      cwd,
      env,
      stdio: ["ignore", "ignore", "pipe"],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      detached: true,
    });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err = (err + b.toString("utf8")).slice(-2000)));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 30_000);
    child.once("error", (e) => (clearTimeout(timer), resolve(e.message)));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const last = err.trim().split("\n").at(-1)?.trim();
      resolve(code === 0 ? null : (last || `exit ${code ?? signal}`).slice(0, 300));
    });
  });
}
