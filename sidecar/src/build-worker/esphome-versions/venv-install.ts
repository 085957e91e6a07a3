// Installs one ESPHome release into a fresh venv: `python -m venv DIR/venv`, then
// `DIR/venv/bin/python -m pip install esphome==V`, then checks that `esphome version` answers
// with V. The completed-install marker is written last, so a folder without it is a
// half-finished install (a crash, a full disk) that the manager wipes and redoes.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { buildEnv } from "../../isolation/build-env.js";
import { GroupProcess } from "../process-group.js";
import { probePython } from "./python.js";

export const MARKER = ".installed";

export function venvBin(dir: string, name: "python" | "esphome"): string {
  return path.join(dir, "venv", "bin", name);
}

export interface InstallOptions {
  python: string;
  version: string;
  /** The version's folder; the venv goes into `venv/` inside it. */
  dir: string;
  log: (line: string) => void;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Extra variables the install may see (`--build-env`); pip runs package build code. */
  extraEnv?: readonly string[];
  signal?: AbortSignal;
}

/** A failed step: a one-line reason, and the step's output (its last 20 kB) for a closer look. */
class StepError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/**
 * The Python range `version` requires when pip refused it for the interpreter's version: pip lists such
 * releases as "Ignored the following versions that require a different python version: V Requires-Python
 * RANGE; …". Null when pip failed for another reason.
 */
export function pipRequiresPython(pipOutput: string, version: string): string | null {
  const ignored = /Ignored the following versions that require a different python version:(.*)/.exec(pipOutput);
  if (!ignored) return null;
  for (const entry of ignored[1]!.split(";")) {
    const m = /^\s*(\S+) Requires-Python (.+?)\s*$/.exec(entry);
    if (m && m[1] === version) return m[2]!;
  }
  return null;
}

/** Runs one step; resolves with its output, rejects with a one-line reason naming the last error line. */
async function step(
  o: InstallOptions,
  what: string,
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<string> {
  const proc = new GroupProcess({
    command,
    args,
    cwd: o.dir,
    env: buildEnv(o.env ?? process.env, o.extraEnv, { PYTHONUNBUFFERED: "1", PIP_NO_INPUT: "1" }),
  });
  let out = "";
  let partial = "";
  const onData = (d: Buffer) => {
    const text = partial + d.toString("utf8");
    out = (out + d.toString("utf8")).slice(-20_000);
    const lines = text.split(/\r?\n/);
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) o.log(`[forge worker] install: ${l}`);
  };
  proc.stdout.on("data", onData);
  proc.stderr.on("data", onData);
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), void proc.kill()), timeoutMs);
  const onAbort = () => void proc.kill();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const exit = await proc.exited;
  clearTimeout(timer);
  o.signal?.removeEventListener("abort", onAbort);
  if (partial.trim()) o.log(`[forge worker] install: ${partial}`);
  if (exit.error) throw new Error(`${what}: could not start ${command}: ${exit.error.message}`);
  if (o.signal?.aborted) throw new Error(`${what}: cancelled`);
  if (timedOut) throw new Error(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`);
  if (exit.code !== 0) {
    const lines = out
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    const last = [...lines].reverse().find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "";
    throw new StepError(
      `${what} failed (${exit.code !== null ? `exit code ${exit.code}` : `killed by ${exit.signal}`})${last ? `: ${last.slice(0, 300)}` : ""}`,
      out,
    );
  }
  return out;
}

export async function installVenv(o: InstallOptions): Promise<void> {
  const venv = path.join(o.dir, "venv");
  await step(o, "python -m venv", o.python, ["-m", "venv", venv], Math.min(o.timeoutMs, 120_000));
  try {
    await step(
      o,
      `pip install esphome==${o.version}`,
      venvBin(o.dir, "python"),
      [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        `esphome==${o.version}`,
      ],
      o.timeoutMs,
    );
  } catch (err) {
    const needs = err instanceof StepError ? pipRequiresPython(err.output, o.version) : null;
    if (!needs) throw err;
    const have = await probePython(o.python, undefined, o.env);
    throw new Error(
      `ESPHome ${o.version} requires Python ${needs}, but this worker's interpreter ${o.python} is ` +
        `${have ? `Python ${have}` : "older"}; give the worker a Python that can run it with --python PATH (or FORGE_PYTHON)`,
    );
  }
  const out = await step(o, "esphome version", venvBin(o.dir, "esphome"), ["version"], 60_000);
  const got = /Version:\s*(\S+)/.exec(out)?.[1];
  if (got !== o.version)
    throw new Error(`the installed esphome reports ${got ? `version ${got}` : "no version"}, expected ${o.version}`);
  await writeFile(path.join(o.dir, MARKER), `${o.version} ${new Date().toISOString()}\n`);
}
