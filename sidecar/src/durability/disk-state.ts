// "The disk is full" as a state of the sidecar, not a crash. Entered when a write fails for lack of
// space (SQLite's SQLITE_FULL, ENOSPC) or when free space drops below the reserve; left by itself once
// free space is back above the resume mark and a real write succeeds. While full, the sidecar keeps
// serving reads and events, refuses new work and results (they are kept by their senders), and
// pauses dispatch and lease expiry (see server.ts); `/health` lists the problem.
import { EventEmitter } from "node:events";
import { rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HealthProblem } from "@esphome-forge/shared";
import { diskFullMessage, formatMiB, isDiskFullError } from "./disk-errors.js";

export interface DiskStateOptions {
  /** The data folder: its file system is the one watched. */
  dir: string;
  /** Enter the full state below this much free space (0: only when a write fails). */
  reserveBytes: number;
  log: (msg: string) => void;
  now?: () => number;
  /** Free bytes for unprivileged writers on `dir`'s file system, null when unknown. */
  freeBytes?: (dir: string) => number | null;
  /** A small real write that must succeed before leaving the full state. */
  probe?: (dir: string) => void;
  /** How often free space is looked at while healthy (default 5 s) and while full (default 1 s). */
  checkEveryMs?: number;
  probeEveryMs?: number;
}

const DEFAULT_RESERVE_MB = 64;

/** The reserve from `FORGE_DISK_RESERVE_MB` (MiB; 0 = only failed writes count), default 64 MiB. */
export function diskReserveBytes(env: NodeJS.ProcessEnv): number {
  const mb = Number(env.FORGE_DISK_RESERVE_MB ?? DEFAULT_RESERVE_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : DEFAULT_RESERVE_MB) * 1024 * 1024;
}

/** Leaving needs this much more than the reserve, so the state does not flap at the boundary. */
const MIN_HEADROOM_BYTES = 8 * 1024 * 1024;
/** What refused senders are told: try again after this long. */
export const DISK_RETRY_AFTER_MS = 5000;

export class DiskState extends EventEmitter<{ change: [full: boolean] }> {
  private fullSince: number | null = null;
  private reason = "";
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly free: (dir: string) => number | null;
  private readonly probe: (dir: string) => void;
  readonly retryAfterMs = DISK_RETRY_AFTER_MS;

  constructor(private readonly o: DiskStateOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.free = o.freeBytes ?? statfsFree;
    this.probe = o.probe ?? probeWrite;
  }

  get full(): boolean {
    return this.fullSince !== null;
  }

  /** Free space beyond which the full state ends. */
  get resumeBytes(): number {
    return this.o.reserveBytes + Math.max(this.o.reserveBytes, MIN_HEADROOM_BYTES);
  }

  freeBytes(): number | null {
    try {
      return this.free(this.o.dir);
    } catch {
      return null;
    }
  }

  /** The message refused requests and messages carry. */
  message(): string {
    return diskFullMessage(this.freeBytes());
  }

  problem(): HealthProblem | null {
    if (this.fullSince === null) return null;
    return {
      code: "disk_full",
      message: `${this.message()}. ${this.reason}`,
      since: new Date(this.fullSince).toISOString(),
    };
  }

  /** A failed write: true (and the full state entered) when it failed for lack of space. */
  report(err: unknown, what = "a write"): boolean {
    if (!isDiskFullError(err)) return false;
    this.enter(`${what} failed: ${(err as Error).message}`);
    return true;
  }

  /** Runs `fn`; a disk-full error is reported and swallowed (→ undefined), any other error is rethrown. */
  guard<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (this.report(err, what)) return undefined;
      throw err;
    }
  }

  /** Looks at free space now: enters below the reserve, leaves above the resume mark after a probe write. */
  check(): void {
    const free = this.freeBytes();
    if (!this.full) {
      if (free !== null && free < this.o.reserveBytes)
        this.enter(`free space ${formatMiB(free)} is below the reserve of ${formatMiB(this.o.reserveBytes)}`);
      return;
    }
    if (free !== null && free < this.resumeBytes) return;
    try {
      this.probe(this.o.dir);
    } catch (err) {
      if (isDiskFullError(err)) return;
      throw err;
    }
    const lasted = Math.round((this.now() - this.fullSince!) / 1000);
    this.fullSince = null;
    this.o.log(`disk space is back${free === null ? "" : ` (${formatMiB(free)} free)`} after ${lasted} s: resuming`);
    this.schedule();
    this.emit("change", false);
  }

  start(): void {
    this.check();
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private enter(reason: string): void {
    if (this.full) return;
    this.fullSince = this.now();
    this.reason = reason;
    this.o.log(
      `DISK FULL in ${this.o.dir}: ${reason}. New jobs and results are refused and dispatch is paused until ` +
        `${formatMiB(this.resumeBytes)} are free again.`,
    );
    this.schedule();
    this.emit("change", true);
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    const every = this.full ? (this.o.probeEveryMs ?? 1000) : (this.o.checkEveryMs ?? 5000);
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }
}

function statfsFree(dir: string): number | null {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** 64 KiB written and removed: proves the file system takes writes again (a quota shows up here too). */
function probeWrite(dir: string): void {
  const file = join(dir, ".forge-space-probe");
  try {
    writeFileSync(file, Buffer.alloc(64 * 1024));
  } finally {
    rmSync(file, { force: true });
  }
}
