// Runs one build phase as a child in its OWN process group, so a cancel reaches everything it
// started (PlatformIO, compilers, esptool…): SIGTERM to the group, SIGKILL once the grace
// period is over. Liveness is judged from /proc on Linux, where a zombie that nobody reaps
// (containers whose init does not wait) must not count as "still running".
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { getPriority } from "node:os";
import type { Readable } from "node:stream";

export const KILL_GRACE_MS = 1500;
const POLL_MS = 25;

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface GroupExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (ENOENT, EACCES…). */
  error: Error | null;
}

/** Every group started by this process and not yet gone; killed as a last resort on exit. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  });
}

/**
 * The build keeps this worker's priority although it runs in a session of its own. With autogroup
 * scheduling (on by default in most Linux kernels) every session is a scheduling group at nice 0 that
 * competes as an equal with every other group, whatever nice its processes have: 20 builds under a
 * `nice 19` worker took 20 shares of the CPU against the sidecar's one. Best effort: without autogroup
 * the file is absent (and the build's own nice, inherited, is what counts); an unprivileged process may
 * change it once per 100 ms.
 */
function keepPriority(pid: number): void {
  const nice = getPriority();
  if (nice <= 0) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // no autogroup, the child already gone, or rate-limited: the build runs in a group at nice 0
  }
}

export class GroupProcess {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the leader has exited, leftovers of its group are gone and output has ended. */
  readonly exited: Promise<GroupExit>;
  private readonly child: ChildProcess;
  private killing: Promise<void> | null = null;

  constructor(spec: SpawnSpec) {
    installExitHook();
    this.child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // new process group (and session): the group id is the child's pid
      stdio: ["ignore", "pipe", "pipe"], // nothing may ever prompt on stdin
    });
    this.pid = this.child.pid;
    if (this.pid !== undefined) {
      liveGroups.add(this.pid);
      keepPriority(this.pid);
    }
    this.stdout = this.child.stdout!;
    this.stderr = this.child.stderr!;
    this.exited = this.watch();
  }

  private async watch(): Promise<GroupExit> {
    const child = this.child;
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const result = await new Promise<GroupExit>((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => resolve({ code, signal, error: null }));
    });
    if (this.pid !== undefined) {
      // The leader is done; anything it left behind in its group goes too (it would hold our pipes).
      if (groupAlive(this.pid)) await this.kill();
      liveGroups.delete(this.pid);
    }
    // Output can still be in flight after exit; wait for it, but never forever (a process that
    // left the group could hold our pipes). Paused streams (socket backpressure) get more time.
    let waited = 0;
    while (!(await Promise.race([closed.then(() => true), delay(250).then(() => false)]))) {
      waited += 250;
      if (waited >= 2000 && !this.stdout.isPaused() && !this.stderr.isPaused()) break;
    }
    this.stdout.destroy();
    this.stderr.destroy();
    return result;
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs` if anything remains; resolves when it is gone. */
  kill(graceMs = KILL_GRACE_MS): Promise<void> {
    const pgid = this.pid;
    if (pgid === undefined) return Promise.resolve();
    this.killing ??= (async () => {
      signalGroup(pgid, "SIGTERM");
      if (await waitGroupGone(pgid, graceMs)) return;
      signalGroup(pgid, "SIGKILL");
      await waitGroupGone(pgid, 1000);
    })();
    return this.killing;
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/** True while any non-zombie process is left in the group. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (process.platform !== "linux") return true;
  return livingGroupMembers(pgid).length > 0;
}

/** Linux: pids in the group that are not zombies (read from /proc/<pid>/stat). */
export function livingGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") pids.push(Number(name));
  }
  return pids;
}

/** True when `pid` exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  if (process.platform === "linux") {
    const stat = readStat(pid);
    return stat !== null && stat.state !== "Z" && stat.state !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readStat(pid: number): { state: string; pgrp: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", pgrp: Number(fields[2]) };
}

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await delay(POLL_MS);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
