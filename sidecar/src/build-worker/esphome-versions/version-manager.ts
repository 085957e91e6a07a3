// The ESPHome releases a worker can build with, one venv each under `<stateDir>/esphome/<V>/`.
// A job names its version; `acquire` returns that version's `esphome` (installing it first when
// needed) and holds it until the job releases it. Installs of one version never run twice at
// once (a promise per version in this process, a lock file across processes); a folder without
// the completed-install marker is wiped and redone. After each install only the `keep` most
// recently used versions stay (never one in use). A complete install in the shared tool cache
// (`~/.cache/esphome-forge/esphome/<V>/`, where scripts/ensure-esphome.sh puts it) is reused as is
// and never deleted from here.
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { EsphomeVersion } from "@esphome-forge/shared";
import { withLockFile } from "./lock-file.js";
import { installVenv, MARKER, venvBin } from "./venv-install.js";

export interface EsphomeVersionsOptions {
  /** Where this worker's venvs live: `<stateDir>/esphome`. */
  root: string;
  /** A read-only cache of complete installs to reuse (same layout), or null. */
  sharedRoot: string | null;
  /** The interpreter to create venvs with; asked only when an install is needed. */
  python: () => Promise<string>;
  /** How many versions to keep (most recently used). */
  keep: number;
  installTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Extra variables installs may see (`--build-env`). */
  extraEnv?: readonly string[];
  /** Called after the set of installed versions changed. */
  onChange?: (versions: string[]) => void;
}

export interface EsphomeLease {
  /** The version in use, or null when the job named none and `esphome` on PATH is used. */
  version: string | null;
  bin: string;
  release(): void;
}

const DEFAULT_INSTALL_TIMEOUT_MS = 15 * 60_000;

export class EsphomeVersions {
  private readonly installing = new Map<string, Promise<string>>();
  private readonly inUse = new Map<string, number>();

  constructor(private readonly o: EsphomeVersionsOptions) {}

  /** Installed versions (this worker's and the shared cache's), most recently used first. */
  installed(): string[] {
    const seen = new Map<string, number>();
    for (const root of [this.o.root, this.o.sharedRoot]) {
      for (const v of listComplete(root)) seen.set(v.version, Math.max(seen.get(v.version) ?? 0, v.usedAt));
    }
    return [...seen.entries()].sort((a, b) => b[1] - a[1]).map(([v]) => v);
  }

  /** The version's `esphome`, installed if needed; release the lease when the job ends. */
  async acquire(version: string | null, log: (line: string) => void, signal?: AbortSignal): Promise<EsphomeLease> {
    if (version === null) {
      const newest = this.installed()[0];
      if (!newest) {
        log("[forge worker] install: the job names no ESPHome version and none is installed; using esphome on PATH");
        return { version: null, bin: "esphome", release: () => {} };
      }
      version = newest;
      log(`[forge worker] install: the job names no ESPHome version; using the most recently used ${version}`);
    }
    if (!EsphomeVersion.safeParse(version).success || version === "dev")
      throw new Error(`${JSON.stringify(version)} is not an installable ESPHome release`);
    const v = version;
    this.inUse.set(v, (this.inUse.get(v) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.inUse.get(v) ?? 1) - 1;
      if (n > 0) this.inUse.set(v, n);
      else this.inUse.delete(v);
    };
    try {
      const bin = await this.ensure(v, log, signal);
      return { version: v, bin, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  private async ensure(version: string, log: (line: string) => void, signal?: AbortSignal): Promise<string> {
    const ready = this.ready(version);
    if (ready) {
      touch(ready);
      log(
        `[forge worker] install: ESPHome ${version} is installed (${path.dirname(path.dirname(path.dirname(ready)))})`,
      );
      return ready;
    }
    let pending = this.installing.get(version);
    if (pending) {
      log(`[forge worker] install: waiting for the install of ESPHome ${version} already under way`);
    } else {
      // Not tied to the job's signal: a cancelled job stops waiting, the install carries on for the next one.
      pending = this.install(version, log).finally(() => this.installing.delete(version));
      this.installing.set(version, pending);
    }
    return untilAborted(pending, signal);
  }

  /** The `esphome` of a complete install of `version`, or null. */
  private ready(version: string): string | null {
    for (const root of [this.o.root, this.o.sharedRoot]) {
      if (!root) continue;
      const dir = path.join(root, version);
      if (existsSync(path.join(dir, MARKER)) && existsSync(venvBin(dir, "esphome"))) return venvBin(dir, "esphome");
    }
    return null;
  }

  private async install(version: string, log: (line: string) => void): Promise<string> {
    const timeoutMs = this.o.installTimeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS;
    const dir = path.join(this.o.root, version);
    await mkdir(this.o.root, { recursive: true });
    const bin = await withLockFile(path.join(this.o.root, `.${version}.lock`), timeoutMs, async () => {
      const done = this.ready(version); // another process finished it while we waited
      if (done) return done;
      if (existsSync(dir)) log(`[forge worker] install: removing an unfinished install of ESPHome ${version}`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const python = await this.o.python();
      log(`[forge worker] install: installing ESPHome ${version} with ${python} into ${dir}`);
      const started = Date.now();
      try {
        await installVenv({ python, version, dir, log, timeoutMs, env: this.o.env, extraEnv: this.o.extraEnv });
      } catch (err) {
        await rm(dir, { recursive: true, force: true }).catch(() => {});
        throw new Error(`installing ESPHome ${version} failed: ${(err as Error).message}`);
      }
      log(`[forge worker] install: ESPHome ${version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return venvBin(dir, "esphome");
    });
    await this.prune(log);
    this.o.onChange?.(this.installed());
    return bin;
  }

  /** Deletes this worker's least recently used versions beyond `keep`; never one in use or installing. */
  async prune(log: (line: string) => void = () => {}): Promise<string[]> {
    const oldestFirst = listComplete(this.o.root).sort((a, b) => a.usedAt - b.usedAt);
    const removed: string[] = [];
    let count = oldestFirst.length;
    for (const v of oldestFirst) {
      if (count <= this.o.keep) break;
      if (this.inUse.has(v.version) || this.installing.has(v.version)) continue; // counts, but stays
      await rm(path.join(this.o.root, v.version), { recursive: true, force: true });
      removed.push(v.version);
      count--;
    }
    if (removed.length)
      log(`[forge worker] install: removed least recently used ESPHome ${removed.join(", ")} (keeping ${this.o.keep})`);
    return removed;
  }
}

function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("cancelled while waiting for the ESPHome install"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Complete installs under `root` with the time each was last used (the marker's mtime). */
function listComplete(root: string | null): { version: string; usedAt: number }[] {
  if (!root) return [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: { version: string; usedAt: number }[] = [];
  for (const name of names) {
    if (!EsphomeVersion.safeParse(name).success) continue;
    try {
      const st = statSync(path.join(root, name, MARKER));
      if (existsSync(venvBin(path.join(root, name), "esphome"))) out.push({ version: name, usedAt: st.mtimeMs });
    } catch {
      // no marker: unfinished, not installed
    }
  }
  return out;
}

/** Marks a version as just used: the marker's mtime orders the LRU. */
function touch(bin: string): void {
  const marker = path.join(path.dirname(path.dirname(path.dirname(bin))), MARKER);
  try {
    const now = new Date();
    utimesSync(marker, now, now);
  } catch {
    // a read-only shared cache: the order there does not matter
  }
}
