// The device inventory: the ESPHome config folder as a live list of devices. A full scan on start,
// then a debounced watcher on every folder a device reads from, plus a periodic rescan as a safety net.
// Emits "device" (InventoryDevice) when a device appears or changes and "remove" (id) when it goes;
// "paths" (config-relative paths the watcher saw change) and "rescanned" for the config workspace.
import { EventEmitter } from "node:events";
import { mkdir, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import type { InventoryDevice } from "./inventory-device.js";
import { DirWatcher } from "./dir-watcher.js";
import { atomicWrite } from "./fs-util.js";
import { pool } from "../util/pool.js";
import type { Diagnostic } from "./errors.js";
import { formatDiagnostic, InventoryError } from "./errors.js";
import type { EsphomeCli, EsphomeConfigResult } from "./esphome-cli.js";
import { inSandbox, type ConfigSandbox } from "./config-sandbox.js";
import type { JobFile } from "./job-files.js";
import type { MetadataPatch } from "./metadata-block.js";
import { applyPatch, readMetadata, writeMetadata } from "./metadata-block.js";
import { readerOf, reusable, signatureOf, type ReadStore, type StoredRead } from "./read-cache.js";
import type { ReadContext } from "./read-device.js";
import { loadPlain, readDevice } from "./read-device.js";
import { realInside } from "./safe-path.js";
import { deviceIdOf, isDeviceFileName, scanConfigDir } from "./scan.js";

export { findEsphome } from "./esphome-cli.js";
export type { EsphomeCli, EsphomeConfigResult } from "./esphome-cli.js";
export { seedExamples } from "./seed.js";
export type { JobFile } from "./job-files.js";
export { InventoryError } from "./errors.js";

export type { InventoryDevice } from "./inventory-device.js";

export interface InventoryOptions {
  configDir: string;
  esphome: EsphomeCli | null;
  /** Run `esphome config` as the build user on a copy of each device's files (null: in place, as the sidecar). */
  sandbox?: ConfigSandbox | null;
  rescanIntervalSec: number;
  log?: (msg: string) => void;
  /** Reads kept across restarts (read-cache.ts); without it every start and rescan parses every device. */
  reads?: ReadStore;
  /** Forge's version, part of who made a kept read. */
  forgeVersion?: string;
}

interface Entry {
  device: InventoryDevice;
  deps: Set<string>;
  dirs: Set<string>;
  diagnostics: Diagnostic[];
  /** The kept read this entry was made from (null: a fresh read). */
  from: StoredRead | null;
}

const READ_CONCURRENCY = 8;
const RESOLVE_CACHE_MAX = 1000;

export class Inventory extends EventEmitter {
  private root = "";
  private files = new Map<string, string>();
  private deviceFiles: Set<string> | null = null;
  private duplicates = new Map<string, string>();
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();
  private readonly writeLocks = new Map<string, Promise<unknown>>();
  private readonly resolveCache = new Map<string, Promise<EsphomeConfigResult>>();
  private readonly warnedSkipped = new Set<string>();
  private watcher: DirWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private stopped = false;
  /** Kept reads by device (loaded at start) and who this inventory reads as. */
  private stored = new Map<string, StoredRead>();
  private reader = "";
  /** Devices the watcher (or notifyChanged) reported: their next read does not reuse a kept one. */
  private readonly readFresh = new Set<string>();

  constructor(private readonly opts: InventoryOptions) {
    super();
  }

  async start(): Promise<void> {
    await mkdir(this.opts.configDir, { recursive: true });
    this.root = await realpath(this.opts.configDir);
    const esphome = this.opts.esphome;
    this.reader = readerOf(
      this.opts.forgeVersion ?? "dev",
      esphome ? `${esphome.argv.join(" ")} ${(await esphome.version()) ?? "?"}` : null,
      esphome != null && this.opts.sandbox != null,
    );
    this.stored = this.opts.reads?.load() ?? new Map();
    this.watcher = new DirWatcher(this.root, (batch) => void this.onBatch(batch), 150, this.opts.log);
    await this.rescan();
    this.setRescanInterval(this.opts.rescanIntervalSec);
  }

  /** Changes the periodic full rescan (the `rescanIntervalSec` setting) while running. */
  setRescanInterval(sec: number): void {
    if (this.timer) clearInterval(this.timer);
    if (this.stopped) return;
    this.timer = setInterval(() => void this.rescan(), Math.max(1, sec) * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    await Promise.allSettled([this.scanning, ...this.running.values(), ...this.queued.values()]);
  }

  list(): InventoryDevice[] {
    return [...this.entries.values()].map((e) => e.device).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): InventoryDevice | undefined {
    return this.entries.get(id)?.device;
  }

  /** The device's config file (config-relative), if it has one. */
  fileOf(id: string): string | undefined {
    return this.files.get(id);
  }

  /** The device's config file first, then every local file it includes. */
  filesOf(id: string): string[] {
    const file = this.files.get(id);
    if (!file) return [];
    return [file, ...[...(this.entries.get(id)?.deps ?? [])].filter((d) => d !== file).sort()];
  }

  /** Devices whose config is, or includes, this config-relative file. */
  dependents(rel: string): string[] {
    return this.list()
      .filter((d) => d.file === rel || this.entries.get(d.id)?.deps.has(rel))
      .map((d) => d.id);
  }

  /** Re-reads what these config-relative paths affect now, as the watcher would a moment later. */
  notifyChanged(paths: string[]): Promise<void> {
    return this.onBatch(new Set(paths), false);
  }

  /** Structured problems behind `device.error` (file/line where known). */
  diagnostics(id: string): Diagnostic[] {
    return this.entries.get(id)?.diagnostics ?? [];
  }

  /** Re-lists the folder and re-reads every device (ESPHome results are reused while the files are unchanged). */
  rescan(): Promise<void> {
    this.scanning ??= this.fullScan().finally(() => (this.scanning = null));
    return this.scanning;
  }

  async setMetadata(id: string, patch: MetadataPatch): Promise<InventoryDevice> {
    const file = this.files.get(id);
    if (!file || !this.entries.has(id)) throw new InventoryError("not_found", `no device with id ${id}`);
    await this.withWriteLock(id, async () => {
      const abs = await realInside(this.root, file);
      const bytes = await readFile(abs);
      const text = bytes.toString("utf8");
      if (!Buffer.from(text, "utf8").equals(bytes))
        throw new InventoryError("validation", `${file} is not valid UTF-8; not editing it`);
      const next = applyPatch(readMetadata(text).meta, patch);
      const out = writeMetadata(text, next);
      if (out !== text) await atomicWrite(abs, out);
    });
    await this.queueRead(id);
    const d = this.get(id);
    if (!d) throw new InventoryError("not_found", `device ${id} disappeared while it was being updated`);
    return d;
  }

  async jobFiles(id: string): Promise<{ configFile: string; files: JobFile[]; configHash: string }> {
    const file = this.files.get(id);
    if (!file) throw new InventoryError("not_found", `no device with id ${id}`);
    const { diagnostics, collected } = await loadPlain(this.context(), file);
    if (diagnostics.length || !collected) {
      const msg = diagnostics.map(formatDiagnostic).join("; ") || `${file} cannot be read`;
      throw new InventoryError("validation", `the config of ${id} cannot be bundled: ${msg}`);
    }
    return { configFile: file, files: collected.files, configHash: collected.configHash };
  }

  private context(): ReadContext {
    const esphome = this.opts.esphome;
    return {
      rootReal: this.root,
      // One set per listing, not per read: a full scan reads every device (quadratic otherwise).
      deviceFiles: (this.deviceFiles ??= new Set(this.files.values())),
      log: this.opts.log,
      resolve: esphome ? (file, rawHash, files) => this.resolveCached(esphome, file, rawHash, files) : undefined,
    };
  }

  /** One `esphome config` per distinct set of job files; failures of ESPHome itself are not cached. */
  private resolveCached(
    esphome: EsphomeCli,
    file: string,
    rawHash: string,
    files: JobFile[],
  ): Promise<EsphomeConfigResult> {
    const hit = this.resolveCache.get(rawHash);
    if (hit) return hit;
    const sandbox = this.opts.sandbox;
    const run = sandbox
      ? inSandbox(sandbox, deviceIdOf(file), files, (dir, as) => esphome.config(path.join(dir, file), as)).catch(
          (err: unknown): EsphomeConfigResult => ({
            ok: false,
            output: "",
            unavailable: true,
            errors: [{ file: null, line: null, message: `esphome config could not run: ${(err as Error).message}` }],
          }),
        )
      : esphome.config(path.join(this.root, file));
    const p = run.then((r) => {
      if (r.unavailable) this.resolveCache.delete(rawHash);
      return r;
    });
    this.resolveCache.set(rawHash, p);
    while (this.resolveCache.size > RESOLVE_CACHE_MAX) this.resolveCache.delete(this.resolveCache.keys().next().value!);
    return p;
  }

  private async fullScan(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.relist();
      // Devices whose file went while the sidecar was not running.
      for (const id of [...this.stored.keys()]) if (!this.files.has(id)) this.forgetRead(id);
      await pool([...this.files.keys()], READ_CONCURRENCY, (id) => this.queueRead(id));
      this.updateWatches(true);
      this.emit("rescanned");
    } catch (e) {
      this.opts.log?.(`inventory: rescan failed: ${(e as Error).message}`);
    }
  }

  /** Re-reads the top-level listing; drops devices whose file is gone. Returns ids that are new. */
  private async relist(): Promise<string[]> {
    const scan = await scanConfigDir(this.root);
    for (const name of scan.skipped) {
      if (this.warnedSkipped.has(name)) continue;
      this.warnedSkipped.add(name);
      this.opts.log?.(
        `inventory: ignoring ${name}: its name is not a valid device id (letters, digits, '.', '_', '-')`,
      );
    }
    const added = [...scan.files.keys()].filter((id) => !this.files.has(id));
    const changedDup = [...new Set([...scan.duplicates.keys(), ...this.duplicates.keys()])].filter(
      (id) => scan.duplicates.get(id) !== this.duplicates.get(id),
    );
    const moved = [...scan.files].filter(([id, f]) => this.files.has(id) && this.files.get(id) !== f).map(([id]) => id);
    this.files = scan.files;
    this.deviceFiles = null;
    this.duplicates = scan.duplicates;
    for (const id of [...this.entries.keys()]) {
      if (scan.files.has(id)) continue;
      this.entries.delete(id);
      this.forgetRead(id);
      if (!this.stopped) this.emit("remove", id);
    }
    return [...new Set([...added, ...changedDup, ...moved])];
  }

  private async onBatch(batch: Set<string | null>, fromWatcher = true): Promise<void> {
    if (this.stopped) return;
    if (batch.has(null)) return this.rescan();
    const paths = [...batch].filter((p): p is string => p != null && !path.posix.basename(p).startsWith("."));
    if (paths.length === 0) return;
    // The config workspace commits outside changes once they settle.
    if (fromWatcher) this.emit("paths", paths);
    try {
      const toRead = new Set<string>();
      if (paths.some((p) => !p.includes("/") && isDeviceFileName(p))) {
        for (const id of await this.relist()) toRead.add(id);
        // A device file another batch already listed may still be mid-read: read it (again) here too.
        for (const [id, f] of this.files) if (paths.includes(f)) toRead.add(id);
      }
      let unmatched = false;
      for (const p of paths) {
        let hit = false;
        for (const [id, e] of this.entries) {
          if (e.device.file === p || e.deps.has(p) || [...e.deps].some((d) => p.startsWith(d + "/"))) {
            toRead.add(id);
            hit = true;
          }
        }
        if (!hit) unmatched = true;
      }
      // A file nobody reads yet may be the include a broken device is missing.
      if (unmatched) for (const [id, e] of this.entries) if (e.device.error) toRead.add(id);
      // A reported change is read afresh even when sizes and times look the same (content put back with its old time).
      const changed = [...toRead].filter((id) => this.files.has(id));
      for (const id of changed) this.readFresh.add(id);
      await Promise.all(changed.map((id) => this.queueRead(id)));
      this.updateWatches(false);
    } catch (e) {
      this.opts.log?.(`inventory: update failed: ${(e as Error).message}`);
    }
  }

  /** At most one read per device at a time; requests during a read coalesce into one more read. */
  private queueRead(id: string): Promise<void> {
    const running = this.running.get(id);
    if (!running) return this.startRead(id);
    let next = this.queued.get(id);
    if (!next) {
      next = running.then(() => {
        this.queued.delete(id);
        return this.startRead(id);
      });
      this.queued.set(id, next);
    }
    return next;
  }

  private startRead(id: string): Promise<void> {
    const p = this.read(id)
      .catch((e: unknown) => this.opts.log?.(`inventory: reading ${id} failed: ${(e as Error).message}`))
      .finally(() => {
        if (this.running.get(id) === p) this.running.delete(id);
      });
    this.running.set(id, p);
    return p;
  }

  private async read(id: string): Promise<void> {
    const file = this.files.get(id);
    if (!file || this.stopped) return;
    const dup = this.duplicates.get(id);
    // A duplicate's error is not part of its files: its read is not reused.
    const fresh = this.readFresh.delete(id) || dup !== undefined;
    const kept = fresh ? null : reusable(this.stored.get(id), this.reader, this.root, file);
    if (kept) {
      // Unchanged since the entry was made from this same kept read (a rescan): nothing to do.
      if (this.entries.get(id)?.from !== kept)
        this.put(id, kept.device, new Set(kept.deps), new Set(), kept.diagnostics, kept);
      return;
    }
    const startedAt = Date.now();
    const r = await readDevice(this.context(), id, file, dup ? [dup] : []);
    if (this.stopped || this.files.get(id) !== file) return;
    const deps = r.collected?.deps ?? new Set([file]);
    const dirs = r.collected?.dirs ?? new Set<string>();
    const device = this.put(id, r.device, deps, dirs, r.diagnostics);
    // Neither a duplicate's read (its error is not in its files) nor one that listed folders is kept.
    this.keepRead(id, device, deps, dup || dirs.size ? null : startedAt);
  }

  /** Records a device's read; announced when it differs from what was known. */
  private put(
    id: string,
    read: Omit<InventoryDevice, "updatedAt"> & { updatedAt?: string },
    deps: Set<string>,
    dirs: Set<string>,
    diagnostics: Diagnostic[],
    from: StoredRead | null = null,
  ): InventoryDevice {
    const prev = this.entries.get(id);
    const same =
      prev != null && JSON.stringify({ ...prev.device, updatedAt: "" }) === JSON.stringify({ ...read, updatedAt: "" });
    const device: InventoryDevice = {
      ...read,
      // A kept read keeps its time: a restart changes no device's updatedAt.
      updatedAt: same ? prev.device.updatedAt : (read.updatedAt ?? new Date().toISOString()),
    };
    this.entries.set(id, { device, deps, dirs, diagnostics, from });
    if (!same) this.emit("device", device);
    return device;
  }

  /** Keeps a fresh read for the next start or rescan; `readStartedAt` null: not keepable. */
  private keepRead(id: string, device: InventoryDevice, deps: Set<string>, readStartedAt: number | null): void {
    const store = this.opts.reads;
    if (!store) return;
    const signature = readStartedAt == null ? null : signatureOf(this.root, deps, readStartedAt);
    if (signature == null) {
      this.forgetRead(id);
      return;
    }
    const kept: StoredRead = {
      reader: this.reader,
      signature,
      device,
      deps: [...deps],
      diagnostics: this.entries.get(id)?.diagnostics ?? [],
    };
    const before = this.stored.get(id);
    this.stored.set(id, kept);
    this.entries.get(id)!.from = kept;
    if (!before || before.signature !== signature || JSON.stringify(before.device) !== JSON.stringify(device))
      store.put(id, kept);
  }

  private forgetRead(id: string): void {
    if (this.stored.delete(id)) this.opts.reads?.remove(id);
  }

  private updateWatches(refresh: boolean): void {
    const dirs = new Set<string>([""]);
    for (const e of this.entries.values()) {
      for (const d of e.deps) {
        const dir = path.posix.dirname(d);
        dirs.add(dir === "." ? "" : dir);
      }
    }
    for (const e of this.entries.values()) for (const d of e.dirs) dirs.add(d);
    this.watcher?.setDirs(dirs, refresh);
  }

  private async withWriteLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.writeLocks.get(id) ?? Promise.resolve();
    const p = prev.catch(() => undefined).then(fn);
    this.writeLocks.set(id, p);
    try {
      return await p;
    } finally {
      if (this.writeLocks.get(id) === p) this.writeLocks.delete(id);
    }
  }
}
