// One assigned job on this worker: take the device's build folder, write the config files,
// run the action's phases (validate → [validate], compile → [compile], compile_upload →
// [compile, upload], upload → [upload]) each as its own process group, and collect the
// firmware ESPHome reports. Cancel, timeout and abandon all kill the running group; the stop
// flag is checked between phases, so a cancelled compile_upload never starts flashing.
import { rm } from "node:fs/promises";
import path from "node:path";
import { otaImage, type AssignMessage, type FirmwareImage, type JobPhase } from "@esphome-forge/shared";
import { deviceBuildDir, setWarm, writeConfigFiles } from "./build-folder.js";
import type { DeviceLocks } from "./device-locks.js";
import { downloadFirmware, findFirmware, type BuiltImage } from "./firmware.js";
import type { JobLog, LogSource } from "./log-stream.js";
import {
  parseProgress,
  phaseCommand,
  phasesFor,
  usesBuildCommand,
  type CommandConfig,
  type PhaseInput,
} from "./phase-commands.js";
import { OutputCapture, summarizeValidation, validationErrors, type ValidationError } from "./phase-output.js";
import { jobInputs } from "./job-inputs.js";
import { GroupProcess } from "./process-group.js";
import type { EsphomeLease } from "./esphome-versions/version-manager.js";
import type { ServerTrust } from "./server-tls.js";

export interface RunnerConfig extends CommandConfig {
  stateDir: string;
  /** `http(s)://…/` base of the sidecar, for firmware downloads. */
  httpBase: string;
  token: string;
  /** How the sidecar's certificate is checked for those downloads (as for the worker socket). */
  trust: ServerTrust;
  /** Longest one OTA attempt may take before its process group is killed (default 120 s). */
  otaTimeoutMs?: number;
  /** Pause before the single OTA retry (default 1 s). */
  otaRetryDelayMs?: number;
  /** Installed ESPHome versions (phase `install`); absent when --esphome or the build command decides. */
  versions?: {
    acquire(version: string | null, log: (line: string) => void, signal?: AbortSignal): Promise<EsphomeLease>;
  } | null;
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
  /** Structured errors of a validate job whose config is invalid. */
  validationErrors?: ValidationError[];
}

export type StopKind = "cancel" | "abandon" | "timeout";

const PROGRESS_INTERVAL_MS = 250;
const DEFAULT_OTA_TIMEOUT_MS = 120_000;
const DEFAULT_OTA_RETRY_DELAY_MS = 1000;

export class JobRun {
  phase: JobPhase = "prepare";
  readonly done: Promise<JobOutcome>;
  private stopped: { kind: StopKind; reason: string } | null = null;
  private current: GroupProcess | null = null;
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();
  private validation: ValidationError[] | undefined;

  constructor(
    readonly assign: AssignMessage,
    private readonly cfg: RunnerConfig,
    private readonly ch: JobChannel,
    private readonly locks: DeviceLocks,
  ) {
    // Never rejects: an unexpected error (a spawn that throws, a full disk) fails the job instead.
    this.done = this.run().catch((err: unknown) =>
      this.fail(this.phase, `worker error: ${(err as Error).message ?? String(err)}`),
    );
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
    let esphome: EsphomeLease | null = null;
    try {
      this.ch.started("prepare");
      // A builder never flashes what it built: the sidecar sends a compile, then gives the approved
      // image to a flasher. An older sidecar that still sends compile_upload gets a clear refusal.
      if (a.action === "compile_upload")
        return this.fail("prepare", "this worker never flashes an image it built; upgrade the sidecar");
      try {
        release = await this.locks.acquire(a.deviceId, this.abort.signal);
      } catch {
        return this.stoppedOutcome();
      }
      if (this.cfg.versions && phasesFor(a.action).some((p) => !usesBuildCommand(this.cfg, p))) {
        this.phase = "install";
        this.ch.progress("install", null);
        try {
          esphome = await this.cfg.versions.acquire(a.esphomeVersion, (l) => this.ch.log.note(l), this.abort.signal);
        } catch (err) {
          return this.stopped ? this.stoppedOutcome() : this.fail("install", (err as Error).message);
        }
        this.phase = "prepare";
      }
      const buildDir = deviceBuildDir(this.cfg.stateDir, a.deviceId);
      let configPath: string;
      try {
        const inputs = jobInputs(a);
        configPath = await writeConfigFiles(buildDir, inputs.files, inputs.configFile);
        this.ch.log.note(`[forge worker] prepare: ${inputs.describe} in ${buildDir}`);
      } catch (err) {
        return this.fail("prepare", (err as Error).message);
      }
      let images: BuiltImage[] = [];
      let version = esphome?.version ?? a.esphomeVersion;
      for (const phase of phasesFor(a.action)) {
        if (this.stopped) return this.stoppedOutcome();
        this.phase = phase;
        this.ch.progress(phase, null);
        let firmwarePath: string | null = null;
        if (phase === "upload") {
          // Only ever the archived image the sidecar names, its digest and size checked before it is sent.
          try {
            firmwarePath = downloaded = await this.fetchFirmware();
          } catch (err) {
            return this.stopped ? this.stoppedOutcome() : this.fail("upload", (err as Error).message);
          }
          if (this.stopped) return this.stoppedOutcome();
        }
        const input: PhaseInput = { phase, assign: a, configPath, buildDir, firmwarePath, esphomeBin: esphome?.bin };
        // Until this compile completes, the folder is not a warm cache (a crash would leave it half built).
        if (phase === "compile") await setWarm(buildDir, false);
        const failure = phase === "upload" ? await this.runUpload(input) : await this.runPhase(input);
        if (this.stopped) return this.stoppedOutcome();
        if (failure) return this.fail(phase, failure);
        if (phase === "compile" && this.cfg.onlyGenerate) {
          this.ch.log.note("[forge worker] compile: --only-generate, so no firmware to collect");
        } else if (phase === "compile") {
          try {
            const found = await findFirmware(configPath);
            images = found.images;
            version = found.esphomeVersion ?? version;
          } catch (err) {
            return this.fail("compile", `the compile finished but no firmware was found: ${(err as Error).message}`);
          }
          for (const i of images)
            this.ch.log.note(
              `[forge worker] firmware ${i.image.name}: ${i.image.size} bytes, sha256 ${i.image.sha256}`,
            );
          await setWarm(buildDir, true);
        }
      }
      return this.outcome("succeeded", this.phase, null, images, version);
    } finally {
      clearTimeout(timer);
      esphome?.release();
      release?.();
      if (downloaded) await rm(downloaded, { force: true });
      this.ch.log.endStreams();
    }
  }

  private async fetchFirmware(image?: FirmwareImage): Promise<string> {
    const chosen = image ?? otaImage(this.assign.firmware);
    if (!chosen) throw new Error("the job names no firmware image to flash");
    this.ch.log.note(`[forge worker] downloading ${chosen.name} (${chosen.size} bytes) from the sidecar`);
    const dir = path.join(this.cfg.stateDir, "firmware");
    return downloadFirmware(this.cfg.httpBase, this.cfg.token, chosen, dir, this.abort.signal, this.cfg.trust);
  }

  /** The OTA phase: each attempt under its own timeout, and one retry after a failed attempt. */
  private async runUpload(input: PhaseInput): Promise<string | null> {
    const timeoutMs = this.cfg.otaTimeoutMs ?? DEFAULT_OTA_TIMEOUT_MS;
    const target = input.assign.address ?? input.assign.params.address ?? "OTA";
    this.ch.log.note(`[forge worker] upload: flashing ${target} (attempt 1 of 2, timeout ${formatMs(timeoutMs)})`);
    const first = await this.runPhase(input, timeoutMs);
    if (first === null || this.stopped) return first;
    const delay = this.cfg.otaRetryDelayMs ?? DEFAULT_OTA_RETRY_DELAY_MS;
    this.ch.log.note(
      `\x1b[33m[forge worker] upload attempt 1 failed: ${first}; retrying once in ${formatMs(delay)}\x1b[0m`,
    );
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      this.abort.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
    if (this.stopped) return first;
    this.ch.log.note(`[forge worker] upload: flashing ${target} (attempt 2 of 2)`);
    const second = await this.runPhase(input, timeoutMs);
    return second === null ? null : `${second} (after one retry)`;
  }

  /** Runs one phase; returns null on success or a one-line reason. */
  private async runPhase(input: PhaseInput, timeoutMs?: number): Promise<string | null> {
    const cmd = phaseCommand(input, this.cfg);
    this.ch.log.note(`\x1b[1m[forge worker] ${input.phase}: ${cmd.display}\x1b[0m`);
    const proc = new GroupProcess(cmd);
    this.current = proc;
    if (this.stopped) void proc.kill(); // stopped while spawning
    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          void proc.kill();
        }, timeoutMs)
      : null;
    const capture = input.phase === "validate" ? new OutputCapture() : null;
    const tail = new ErrorTail();
    const streams = [proc.stdout, proc.stderr];
    let paused = false;
    let lastPercent = -1;
    let lastProgressAt = 0;
    const onData = (source: LogSource) => (data: Buffer) => {
      const text = this.ch.log.write(source, data);
      tail.push(text);
      capture?.push(source, text);
      const percent = parseProgress(input.phase, text);
      const now = Date.now();
      if (
        percent !== null &&
        percent !== lastPercent &&
        (now - lastProgressAt >= PROGRESS_INTERVAL_MS || percent === 100)
      ) {
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
    if (timer) clearTimeout(timer);
    this.current = null;
    if (exit.error) {
      const hint = usesBuildCommand(this.cfg, input.phase) ? "" : " (is ESPHome installed? pass --esphome PATH)";
      return `could not start ${cmd.command}: ${exit.error.message}${hint}`;
    }
    if (timedOut) return `${input.phase} timed out after ${formatMs(timeoutMs ?? 0)} (process group killed)`;
    if (exit.code === 0) return null;
    if (capture && exit.code !== null) {
      // `esphome config` exits non-zero (2) for an invalid config and prints where and why.
      const errors = validationErrors(capture, input.configPath);
      if (errors.length) {
        this.validation = errors;
        return summarizeValidation(errors);
      }
    }
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
    const validationErrors = this.validation;
    return {
      outcome,
      phase,
      error,
      images,
      esphomeVersion,
      durationMs: Date.now() - this.startedAt,
      ...(validationErrors ? { validationErrors } : {}),
    };
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
      all.find((l) => /\berror:/i.test(l)) ??
      [...all].reverse().find((l) => /^(ERROR|FATAL)\b/.test(l)) ??
      all.at(-1) ??
      null;
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
