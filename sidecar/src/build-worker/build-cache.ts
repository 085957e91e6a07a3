// The worker's build cache: one folder per device under `<stateDir>/builds/`. After each job the
// cap (--cache-max-mb) is enforced by deleting whole device folders, least recently used first
// (a folder's last use is the mtime of the file list each job writes into it); a folder a job
// holds or waits for is never touched. `clean` is the `clean_cache` message: one device's folder
// or all of them, again never one in use. Sizes are measured once per folder and again only
// after a job used it.
import { lstat, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { removeBuildFolder, deviceBuildDir } from "./build-folder.js";
import type { DeviceLocks } from "./device-locks.js";
import { listDeviceFolders } from "./worker-state.js";

export interface CacheEntry {
  deviceId: string;
  bytes: number;
  lastUsedMs: number;
}

/** Which folders to delete, oldest first, to get `entries` under `maxBytes`; busy ones count but stay. */
export function chooseEvictions(
  entries: CacheEntry[],
  maxBytes: number,
  busy: (deviceId: string) => boolean,
): string[] {
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const out: string[] = [];
  for (const e of [...entries].sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.deviceId.localeCompare(b.deviceId))) {
    if (total <= maxBytes) break;
    if (busy(e.deviceId)) continue;
    out.push(e.deviceId);
    total -= e.bytes;
  }
  return out;
}

/** Bytes on disk under `dir` (links not followed); 0 when it is gone. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else
      total += await lstat(p).then(
        (s) => s.blocks * 512 || s.size,
        () => 0,
      );
  }
  return total;
}

export interface BuildCacheOptions {
  stateDir: string;
  /** 0 = no cap. */
  maxBytes: number;
  locks: DeviceLocks;
  log: (line: string) => void;
}

const MB = 1024 * 1024;

export class BuildCache {
  private readonly sizes = new Map<string, number>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: BuildCacheOptions) {}

  /** A job used `deviceId`'s folder: measure it again, then enforce the cap. Serialized. */
  jobEnded(deviceId: string): Promise<string[]> {
    this.sizes.delete(deviceId);
    return this.serial(() => (this.o.maxBytes > 0 ? this.enforce() : Promise.resolve([])));
  }

  /** Deletes one device's folder or all idle ones; returns what was removed and what was busy. */
  clean(deviceId?: string): Promise<{ removed: string[]; busy: string[] }> {
    return this.serial(async () => {
      const ids = deviceId ? [deviceId] : listDeviceFolders(this.o.stateDir);
      const removed: string[] = [];
      const busy: string[] = [];
      for (const id of ids) {
        const r = await this.remove(id);
        if (r === "removed") removed.push(id);
        else if (r === "busy") busy.push(id);
      }
      this.o.log(`cleaned ${removed.length} build folder(s)${busy.length ? `; busy, kept: ${busy.join(", ")}` : ""}`);
      return { removed, busy };
    });
  }

  /** Every device folder with its size and last use. */
  async entries(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    for (const id of listDeviceFolders(this.o.stateDir)) {
      const dir = deviceBuildDir(this.o.stateDir, id);
      let bytes = this.sizes.get(id);
      if (bytes === undefined) this.sizes.set(id, (bytes = await folderBytes(dir)));
      const used = await stat(path.join(dir, ".forge-files.json"))
        .catch(() => stat(dir))
        .catch(() => null);
      if (used) out.push({ deviceId: id, bytes, lastUsedMs: used.mtimeMs });
    }
    return out;
  }

  private async enforce(): Promise<string[]> {
    const entries = await this.entries();
    const total = entries.reduce((n, e) => n + e.bytes, 0);
    if (total <= this.o.maxBytes) return [];
    const evicted: string[] = [];
    let left = total;
    for (const id of chooseEvictions(entries, this.o.maxBytes, (d) => this.o.locks.isBusy(d))) {
      const bytes = entries.find((e) => e.deviceId === id)?.bytes ?? 0;
      if ((await this.remove(id)) !== "removed") continue; // taken by a job meanwhile, or not removable
      evicted.push(id);
      left -= bytes;
      this.o.log(`build cache: evicted ${id} (${mb(bytes)} MB, least recently used)`);
    }
    const note = left > this.o.maxBytes ? "; still over: the rest is in use" : "";
    this.o.log(
      `build cache: ${mb(left)} MB of ${mb(this.o.maxBytes)} MB after evicting ${evicted.length} folder(s)${note}`,
    );
    return evicted;
  }

  /** Removes one idle folder under its device lock (never while a job holds or waits for it). */
  private async remove(deviceId: string): Promise<"removed" | "busy" | "failed"> {
    const release = this.o.locks.tryAcquire(deviceId);
    if (!release) return "busy";
    try {
      await removeBuildFolder(this.o.stateDir, deviceId);
      this.sizes.delete(deviceId);
      return "removed";
    } catch (err) {
      this.o.log(`could not remove the build folder of ${deviceId}: ${(err as Error).message}`);
      return "failed";
    } finally {
      release();
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.running.then(fn, fn);
    this.running = next.catch(() => undefined);
    return next;
  }
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}
