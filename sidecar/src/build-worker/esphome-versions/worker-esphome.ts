// Which `esphome` a job runs on this worker. The local binary (--esphome, else `esphome` on
// PATH, when it answers `esphome version`) serves jobs that name no version or name exactly its
// version; a job naming another release gets that release's venv from EsphomeVersions, installed
// on first use. Also the list the worker reports in hello/heartbeat: the local binary's version
// first, then the installed ones, most recently used first.
import os from "node:os";
import path from "node:path";
import { findPython } from "./python.js";
import { EsphomeVersions, type EsphomeLease } from "./version-manager.js";

export interface WorkerEsphomeOptions {
  stateDir: string;
  /** The local binary's version, once probed (null: no usable local binary). */
  localVersion: Promise<string | null>;
  /** The local binary: --esphome, or `esphome` on PATH. */
  localBin: string;
  /** --python / FORGE_PYTHON; null: discover one on PATH when an install is first needed. */
  python: string | null;
  keep: number;
  env?: NodeJS.ProcessEnv;
  /** Extra variables installs may see (`--build-env`). */
  extraEnv?: readonly string[];
  /** Called after the set of installed versions changed. */
  onChange?: () => void;
  installTimeoutMs?: number;
}

/** The shared tool cache scripts/ensure-esphome.sh fills: `$FORGE_CACHE/esphome` or `~/.cache/esphome-forge/esphome`. */
export function sharedEsphomeCache(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.FORGE_CACHE || path.join(os.homedir(), ".cache", "esphome-forge"), "esphome");
}

export class WorkerEsphome {
  readonly versions: EsphomeVersions;
  private local: string | null = null;
  private python: Promise<string> | null = null;

  constructor(private readonly o: WorkerEsphomeOptions) {
    const env = o.env ?? process.env;
    this.versions = new EsphomeVersions({
      root: path.join(o.stateDir, "esphome"),
      sharedRoot: sharedEsphomeCache(env),
      python: () => this.findPython(),
      keep: o.keep,
      env,
      extraEnv: o.extraEnv,
      installTimeoutMs: o.installTimeoutMs,
      onChange: () => o.onChange?.(),
    });
    void o.localVersion.then((v) => (this.local = v));
  }

  /** The local binary's version once probed (null: none usable). */
  localVersion(): Promise<string | null> {
    return this.o.localVersion;
  }

  /** Versions to report: the local binary's, then the installed ones (most recently used first). */
  reported(): string[] {
    return [...new Set([...(this.local ? [this.local] : []), ...this.versions.installed()])];
  }

  async acquire(version: string | null, log: (line: string) => void, signal?: AbortSignal): Promise<EsphomeLease> {
    const local = await this.o.localVersion;
    if (local && (version === null || version === local)) {
      log(`[forge worker] install: using ESPHome ${local} (${this.o.localBin})`);
      return { version: local, bin: this.o.localBin, release: () => {} };
    }
    if (version === null && !this.versions.installed().length) {
      // Nothing to choose from: the local binary as given (a failure to start it names it in the log).
      return { version: null, bin: this.o.localBin, release: () => {} };
    }
    return this.versions.acquire(version, log, signal);
  }

  /** Found once, on the first install; a failure is not remembered, so the next job looks again. */
  private findPython(): Promise<string> {
    this.python ??= findPython(this.o.python, this.o.env ?? process.env).then(
      (p) => p.path,
      (err: unknown) => {
        this.python = null;
        throw err;
      },
    );
    return this.python;
  }
}
