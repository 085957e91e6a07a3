// What a worker remembers on disk and reports about itself: its stable id (worker.json in the
// state folder), the device build folders it holds, and the machine it runs on.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statfsSync,
  writeFileSync,
  type Dirent,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { DeviceId, type WorkerSystem } from "@esphome-forge/shared";

interface WorkerStateFile {
  workerId: string;
  createdAt: string;
}

const WORKER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_WARM_DEVICES = 10_000;
/** In a device's build folder: its last compile completed. A folder without it (an interrupted build) is not warm. */
export const WARM_MARKER = ".forge-warm";

export function buildsRoot(stateDir: string): string {
  return path.join(stateDir, "builds");
}

/** Reads `<stateDir>/worker.json`, creating it (and the folder) with a fresh id on first start. */
export function loadWorkerId(stateDir: string, log: (line: string) => void = () => {}): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700); // its build folders and trust key are this worker's alone
  const file = path.join(stateDir, "worker.json");
  let raw: string | null = null;
  try {
    raw = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (raw !== null) {
    try {
      const parsed = JSON.parse(raw) as Partial<WorkerStateFile>;
      if (typeof parsed.workerId === "string" && WORKER_ID.test(parsed.workerId)) return parsed.workerId;
    } catch {
      // fall through: keep the unreadable file for inspection and start with a new id
    }
    log(`worker.json in ${stateDir} is unreadable; moving it aside and creating a new worker id`);
    renameSync(file, `${file}.corrupt-${Date.now()}`);
  }
  const state: WorkerStateFile = { workerId: newWorkerId(), createdAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
  return state.workerId;
}

/** `<hostname>-<random>`: readable in the sidecar's worker list, unique across machines. */
function newWorkerId(): string {
  const host = os
    .hostname()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${host || "worker"}-${randomBytes(5).toString("hex")}`;
}

/** Device ids that have a build folder on this worker (complete or not). */
export function listDeviceFolders(stateDir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(buildsRoot(stateDir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && DeviceId.safeParse(e.name).success)
    .map((e) => e.name)
    .sort();
}

/** Device ids whose last build on this worker completed: their incremental build cache is warm. */
export function listWarmDevices(stateDir: string): string[] {
  const root = buildsRoot(stateDir);
  return listDeviceFolders(stateDir)
    .filter((id) => existsSync(path.join(root, id, WARM_MARKER)))
    .slice(0, MAX_WARM_DEVICES);
}

export function systemInfo(): WorkerSystem {
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    nodeVersion: process.version,
  };
}

/** Free bytes for this user in the state folder's file system (heartbeats report it); undefined when unknown. */
export function freeDiskBytes(stateDir: string): number | undefined {
  try {
    const s = statfsSync(stateDir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

export function platformName(): string {
  return `${os.platform()}-${os.arch()}`;
}
