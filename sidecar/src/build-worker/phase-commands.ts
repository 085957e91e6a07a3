// The command line for each build phase. By default the real ESPHome CLI:
//   validate → esphome config <file>
//   compile  → esphome compile <file>
//   upload   → esphome upload <file> --device <address> [--file <firmware>]
// With a build command (a stand-in for tests and the benchmark, never the default) every phase
// runs `/bin/sh -c CMD` and learns what to do from FORGE_* variables.
import path from "node:path";
import type { AssignMessage } from "@esphome-forge/shared";
import { buildEnv } from "../isolation/build-env.js";
import { GroupProcess, type SpawnSpec } from "./process-group.js";

export type BuildPhase = "validate" | "compile" | "upload";

export interface CommandConfig {
  buildCommand: string | null;
  esphomeBin: string | null;
  /** The phases the build command stands in for (default: all); the others run the real ESPHome. */
  buildCommandPhases?: BuildPhase[] | null;
  /** compile runs `esphome compile --only-generate` (C++ and build_info.json, no firmware): CI without toolchains. */
  onlyGenerate?: boolean;
  /** Extra environment variables builds may see (`--build-env`), beyond the allow-list in isolation/build-env.ts. */
  extraEnv?: readonly string[];
}

/** Whether `phase` runs the build command (a stand-in) rather than the real ESPHome CLI. */
export function usesBuildCommand(cfg: CommandConfig, phase: BuildPhase): boolean {
  return cfg.buildCommand !== null && (!cfg.buildCommandPhases || cfg.buildCommandPhases.includes(phase));
}

export interface PhaseInput {
  phase: BuildPhase;
  assign: AssignMessage;
  configPath: string;
  buildDir: string;
  /** Image to flash (upload phase): downloaded for `upload`, just built for `compile_upload`. */
  firmwarePath: string | null;
  /** The job's ESPHome (from the installed versions); else --esphome, else `esphome` on PATH. */
  esphomeBin?: string;
}

export interface PhaseCommand extends SpawnSpec {
  /** How the log shows the command. */
  display: string;
}

export function phasesFor(action: AssignMessage["action"]): BuildPhase[] {
  switch (action) {
    case "validate":
      return ["validate"];
    case "compile":
      return ["compile"];
    case "compile_upload":
      return ["compile", "upload"];
    case "upload":
      return ["upload"];
  }
}

export function phaseCommand(input: PhaseInput, cfg: CommandConfig): PhaseCommand {
  const { phase, assign, configPath, buildDir, firmwarePath } = input;
  // When the sidecar resolved no address, ESPHome's own `OTA` lookup (mDNS/MQTT) is the fallback.
  const resolved = assign.address ?? assign.params.address ?? null;
  const address = resolved ?? "OTA";
  // Never the worker's own environment (its token, the host's secrets): the allow-list only.
  const env = buildEnv(process.env, cfg.extraEnv, {
    PYTHONUNBUFFERED: "1", // ESPHome's log lines as they happen, not in 4 KiB lumps
    // Keep ESPHome's data dir (storage JSON, build tree) inside this device's folder, whatever the host sets.
    ESPHOME_DATA_DIR: path.join(path.dirname(configPath), ".esphome"),
    FORGE_PHASE: phase,
    FORGE_JOB_ID: String(assign.jobId),
    FORGE_DEVICE_ID: assign.deviceId,
    FORGE_DEVICE_NAME: assign.deviceName ?? "",
    FORGE_CONFIG: configPath,
    FORGE_BUILD_DIR: buildDir,
    FORGE_ADDRESS: resolved ?? "",
    FORGE_FIRMWARE: firmwarePath ?? "",
    FORGE_ESPHOME_VERSION: assign.esphomeVersion ?? "",
  });
  if (cfg.buildCommand !== null && usesBuildCommand(cfg, phase)) {
    return {
      command: "/bin/sh",
      args: ["-c", cfg.buildCommand],
      cwd: buildDir,
      env,
      display: `${cfg.buildCommand} (FORGE_PHASE=${phase})`,
    };
  }
  const bin = input.esphomeBin ?? cfg.esphomeBin ?? "esphome";
  const rel = path.relative(buildDir, configPath);
  let args: string[];
  switch (phase) {
    case "validate":
      args = ["config", configPath];
      break;
    case "compile":
      args = ["compile", configPath, ...(cfg.onlyGenerate ? ["--only-generate"] : [])];
      break;
    case "upload":
      args = ["upload", configPath, "--device", address, ...(firmwarePath ? ["--file", firmwarePath] : [])];
      break;
  }
  const shown = args.map((a) => (a === configPath ? rel : a));
  return { command: bin, args, cwd: buildDir, env, display: [path.basename(bin), ...shown].join(" ") };
}

/** Progress the build prints: ninja/IDF `[12/345]` steps while compiling, espota's `NN%` while uploading. */
export function parseProgress(phase: BuildPhase, text: string): number | null {
  if (phase === "compile") {
    let last: RegExpExecArray | null = null;
    for (const m of text.matchAll(/\[(\d+)\/(\d+)\]/g)) last = m;
    if (!last) return null;
    const done = Number(last[1]);
    const total = Number(last[2]);
    return total > 0 && done <= total ? Math.floor((done / total) * 100) : null;
  }
  if (phase === "upload") {
    let last: RegExpExecArray | null = null;
    for (const m of text.matchAll(/Uploading:[^\n\r%]*?(\d{1,3})%/g)) last = m;
    return last ? Math.min(100, Number(last[1])) : null;
  }
  return null;
}

/** Asks ESPHome (or the build command, with FORGE_PHASE=version) for its version; [] when unknown. */
export async function probeEsphomeVersions(cfg: CommandConfig, timeoutMs = 15_000): Promise<string[]> {
  const spec: SpawnSpec =
    cfg.buildCommand !== null
      ? {
          command: "/bin/sh",
          args: ["-c", cfg.buildCommand],
          cwd: process.cwd(),
          env: buildEnv(process.env, cfg.extraEnv, { FORGE_PHASE: "version" }),
        }
      : {
          command: cfg.esphomeBin ?? "esphome",
          args: ["version"],
          cwd: process.cwd(),
          env: buildEnv(process.env, cfg.extraEnv),
        };
  let proc: GroupProcess;
  try {
    proc = new GroupProcess(spec);
  } catch {
    return [];
  }
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  proc.stderr.resume();
  const timer = setTimeout(() => void proc.kill(), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  if (exit.code !== 0) return [];
  const m = /Version:\s*(\S+)/.exec(out);
  return m?.[1] ? [m[1]] : [];
}
