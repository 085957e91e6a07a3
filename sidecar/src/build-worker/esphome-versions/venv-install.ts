// Installs one ESPHome release into a fresh venv: `python -m venv DIR/venv`, then
// `DIR/venv/bin/python -m pip install esphome==V`, then checks that `esphome version` answers
// with V. The completed-install marker is written last, so a folder without it is a
// half-finished install (a crash, a full disk) that the manager wipes and redoes.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { buildEnv } from "../../isolation/build-env.js";
import { GroupProcess } from "../process-group.js";

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
    throw new Error(
      `${what} failed (${exit.code !== null ? `exit code ${exit.code}` : `killed by ${exit.signal}`})${last ? `: ${last.slice(0, 300)}` : ""}`,
    );
  }
  return out;
}

export async function installVenv(o: InstallOptions): Promise<void> {
  const venv = path.join(o.dir, "venv");
  await step(o, "python -m venv", o.python, ["-m", "venv", venv], Math.min(o.timeoutMs, 120_000));
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
  const out = await step(o, "esphome version", venvBin(o.dir, "esphome"), ["version"], 60_000);
  const got = /Version:\s*(\S+)/.exec(out)?.[1];
  if (got !== o.version)
    throw new Error(`the installed esphome reports ${got ? `version ${got}` : "no version"}, expected ${o.version}`);
  await writeFile(path.join(o.dir, MARKER), `${o.version} ${new Date().toISOString()}\n`);
}
