// One assigned job on this worker: take the device's build folder, write the config files,
// run the action's phases (validate → [validate], compile → [compile], compile_upload →
// [compile, upload], upload → [upload]) each as its own process group, and collect the
// firmware ESPHome reports. Cancel, timeout and abandon all kill the running group; the stop
// flag is checked between phases, so a cancelled compile_upload never starts flashing.
import { rm } from "node:fs/promises";
import path from "node:path";
import type { AssignMessage, JobPhase } from "@esphome-forge/shared";
import { deviceBuildDir, writeConfigFiles } from "./build-folder.js";
import type { DeviceLocks } from "./device-locks.js";
import { downloadFirmware, findFirmware, otaImage, type BuiltImage } from "./firmware.js";
import type { JobLog, LogSource } from "./log-stream.js";
import { parseProgress, phaseCommand, phasesFor, type CommandConfig, type PhaseInput } from "./phase-commands.js";
import { GroupProcess } from "./process-group.js";

export interface RunnerConfig extends CommandConfig {
  stateDir: string;
  /** `http(s)://…/` base of the sidecar, for firmware downloads. */
  httpBase: string;
  token: string;
}

/** How a job talks to the outside world; the worker wires it to the socket. */
export interface JobChannel {
  started(phase: JobPhase): void;
  progress(phase: JobPhase, percent: number | null): void;
  readonly log: JobLog;
  /** True while the socket has too much unsent data: the child's output is paused until it drains. */
  congested(): boolean;
  whenDrained(fn: () => void): void;
}

export interface JobOutcome {
  outcome: "succeeded" | "failed" | "cancelled";
  phase: JobPhase | null;
  error: string | null;
  images: BuiltImage[];
  esphomeVersion: string | null;
  durationMs: number;
}

export type StopKind = "cancel" | "abandon" | "timeout";

const PROGRESS_INTERVAL_MS = 250;

export class JobRun {
  phase: JobPhase = "prepare";
  readonly done: Promise<JobOutcome>;
  private stopped: { kind: StopKind; reason: string } | null = null;
  private current: GroupProcess | null = null;
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();

  constructor(
    readonly assign: AssignMessage,
    private readonly cfg: RunnerConfig,
    private readonly ch: JobChannel,
    private readonly locks: DeviceLocks,
  ) {
    // Never rejects: an unexpected error (a spawn that throws, a full disk) fails the job instead.
    this.done = this.run().catch((err: unknown) => this.fail(this.phase, `worker error: ${(err as Error).message ?? String(err)}`));
  }

  get stopKind(): StopKind | null {
    return this.stopped?.kind ?? null;
  }

  /** Kills the running phase's process group; resolves once the job has ended. */
  async stop(kind: StopKind, reason: string): Promise<void> {
    // Abandon overrides a cancel or timeout: nobody wants this job's result any more.
    if (!this.stopped || kind === "abandon") this.stopped = { kind, reason };
    this.abort.abort();
    await this.current?.kill();
    await this.done;
  }

  private async run(): Promise<JobOutcome> {
    const a = this.assign;
    const timer = setTimeout(() => void this.stop("timeout", `timed out after ${formatMs(a.timeoutMs)}`), a.timeoutMs);
    let release: (() => void) | null = null;
    let downloaded: string | null = null;
    try {
      this.ch.started("prepare");
      try {
        release = await this.locks.acquire(a.deviceId, this.abort.signal);
      } catch {
        return this.stoppedOutcome();
      }
      const buildDir = deviceBuildDir(this.cfg.stateDir, a.deviceId);
      let configPath: string;
      try {
        configPath = await writeConfigFiles(buildDir, a.files, a.configFile);
      } catch (err) {
        return this.fail("prepare", (err as Error).message);
      }
      let images: BuiltImage[] = [];
      let version = a.esphomeVersion;
      for (const phase of phasesFor(a.action)) {
        if (this.stopped) return this.stoppedOutcome();
        this.phase = phase;
        this.ch.progress(phase, null);
        let firmwarePath: string | null = null;
        if (phase === "upload") {
          if (a.action === "upload") {
            try {
              firmwarePath = downloaded = await this.fetchFirmware();
            } catch (err) {
              return this.stopped ? this.stoppedOutcome() : this.fail("upload", (err as Error).message);
            }
          } else {
            firmwarePath = otaImage(images)?.path ?? null;
          }
          if (this.stopped) return this.stoppedOutcome();
        }
        const failure = await this.runPhase({ phase, assign: a, configPath, buildDir, firmwarePath });
        if (this.stopped) return this.stoppedOutcome();
        if (failure) return this.fail(phase, failure);
        if (phase === "compile") {
          try {
            const found = await findFirmware(configPath);
            images = found.images;
            version = found.esphomeVersion ?? version;
          } catch (err) {
            return this.fail("compile", `the compile finished but no firmware was found: ${(err as Error).message}`);
          }
          for (const i of images) this.ch.log.note(`[forge worker] firmware ${i.image.name}: ${i.image.size} bytes, sha256 ${i.image.sha256}`);
        }
      }
      return this.outcome("succeeded", this.phase, null, images, version);
    } finally {
      clearTimeout(timer);
      release?.();
      if (downloaded) await rm(downloaded, { force: true });
      this.ch.log.endStreams();
    }
  }

  private async fetchFirmware(): Promise<string> {
    const chosen = otaImage(this.assign.firmware.map((image) => ({ image })));
    if (!chosen) throw new Error("the job names no firmware image to flash");
    this.ch.log.note(`[forge worker] downloading ${chosen.image.name} (${chosen.image.size} bytes) from the sidecar`);
    const dir = path.join(this.cfg.stateDir, "firmware");
    return downloadFirmware(this.cfg.httpBase, this.cfg.token, chosen.image, dir, this.abort.signal);
  }

  /** Runs one phase; returns null on success or a one-line reason. */
  private async runPhase(input: PhaseInput): Promise<string | null> {
    const cmd = phaseCommand(input, this.cfg);
    this.ch.log.note(`\x1b[1m[forge worker] ${input.phase}: ${cmd.display}\x1b[0m`);
    const proc = new GroupProcess(cmd);
    this.current = proc;
    if (this.stopped) void proc.kill(); // stopped while spawning
    const tail = new ErrorTail();
    const streams = [proc.stdout, proc.stderr];
    let paused = false;
    let lastPercent = -1;
    let lastProgressAt = 0;
    const onData = (source: LogSource) => (data: Buffer) => {
      const text = this.ch.log.write(source, data);
      tail.push(text);
      const percent = parseProgress(input.phase, text);
      const now = Date.now();
      if (percent !== null && percent !== lastPercent && (now - lastProgressAt >= PROGRESS_INTERVAL_MS || percent === 100)) {
        lastPercent = percent;
        lastProgressAt = now;
        this.ch.progress(input.phase, percent);
      }
      if (!paused && this.ch.congested()) {
        // Backpressure: let the pipe fill up (the build blocks on write) until the socket drains.
        paused = true;
        for (const s of streams) s.pause();
        this.ch.whenDrained(() => {
          paused = false;
          for (const s of streams) s.resume();
        });
      }
    };
    proc.stdout.on("data", onData("stdout"));
    proc.stderr.on("data", onData("stderr"));
    const exit = await proc.exited;
    this.current = null;
    if (exit.error) {
      const hint = this.cfg.buildCommand === null ? " (is ESPHome installed? pass --esphome PATH)" : "";
      return `could not start ${cmd.command}: ${exit.error.message}${hint}`;
    }
    if (exit.code === 0) return null;
    const how = exit.code !== null ? `exit code ${exit.code}` : `killed by ${exit.signal ?? "a signal"}`;
    const line = tail.lastError();
    return `${input.phase} failed (${how})${line ? `: ${line}` : ""}`;
  }

  private stoppedOutcome(): JobOutcome {
    const s = this.stopped ?? { kind: "cancel", reason: "stopped" };
    if (s.kind === "timeout") return this.fail(this.phase, `${this.phase} ${s.reason}`);
    this.ch.log.note(`\x1b[33m[forge worker] cancelled during ${this.phase}: ${s.reason}\x1b[0m`);
    return this.outcome("cancelled", this.phase, s.reason, [], null);
  }

  private fail(phase: JobPhase, error: string): JobOutcome {
    this.ch.log.note(`\x1b[31m[forge worker] ${phase} failed: ${error}\x1b[0m`);
    return this.outcome("failed", phase, error, [], null);
  }

  private outcome(
    outcome: JobOutcome["outcome"],
    phase: JobPhase | null,
    error: string | null,
    images: BuiltImage[],
    esphomeVersion: string | null,
  ): JobOutcome {
    return { outcome, phase, error, images, esphomeVersion, durationMs: Date.now() - this.startedAt };
  }
}

/** Remembers the last lines of output to name the reason of a failure. */
class ErrorTail {
  private lines: string[] = [];
  private partial = "";

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? "";
    for (const p of parts) {
      const clean = stripAnsi(p).trim();
      if (clean) this.lines.push(clean);
    }
    if (this.lines.length > 50) this.lines = this.lines.slice(-50);
  }

  /** The first compiler-style `error:` line, else ESPHome's last `ERROR` line, else the last line. */
  lastError(): string | null {
    const all = [...this.lines, stripAnsi(this.partial).trim()].filter(Boolean);
    const line =
      all.find((l) => /\berror:/i.test(l)) ?? [...all].reverse().find((l) => /^(ERROR|FATAL)\b/.test(l)) ?? all.at(-1) ?? null;
    return line ? line.slice(0, 500) : null;
  }
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Number((ms / 60_000).toFixed(1))} min`;
}
