// Finds a Python interpreter that can host ESPHome venvs: 3.11 or newer, with `venv` and
// `ensurepip`. An explicit interpreter (--python / FORGE_PYTHON) must qualify or it is an error.
// Otherwise every candidate is probed and the newest wins: ESPHome releases since 2026.7 need
// Python >= 3.12, so a machine with both the system 3.11 and the project's 3.13 (built once into
// the tool cache by scripts/lib/python313.sh) installs the newest ESPHome with 3.13. A 3.11 still
// serves older releases; a job naming one it cannot install fails with pip's Requires-Python
// reason (see venv-install.ts).
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";

const PROBE =
  "import sys, venv, ensurepip; print('%d.%d.%d' % sys.version_info[:3]); sys.exit(0 if sys.version_info >= (3, 11) else 1)";
const NAMES = ["python3.14", "python3.13", "python3.12", "python3", "python3.11", "/usr/bin/python3"];

export interface FoundPython {
  path: string;
  version: string;
}

/** The interpreters tried, in order of preference among equal versions: the tool cache's 3.13, then PATH. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const cache = env.FORGE_CACHE || path.join(os.homedir(), ".cache", "esphome-forge");
  return [path.join(cache, "python-3.13", "bin", "python3.13"), ...NAMES];
}

/** Runs the probe; the version when `python` is a usable 3.11+ interpreter, else null. */
export function probePython(
  python: string,
  timeoutMs = 10_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(python, ["-c", PROBE], { timeout: timeoutMs, env }, (err, stdout) => {
      resolve(err ? null : stdout.trim() || null);
    });
  });
}

/** Numeric comparison of dotted versions ("3.13.5" > "3.9.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(".").map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export async function findPython(explicit: string | null, env: NodeJS.ProcessEnv = process.env): Promise<FoundPython> {
  const chosen = explicit ?? env.FORGE_PYTHON ?? null;
  if (chosen) {
    const version = await probePython(chosen, undefined, env);
    if (!version)
      throw new Error(`the Python interpreter ${chosen} is not a usable Python 3.11+ with venv and ensurepip`);
    return { path: chosen, version };
  }
  const candidates = pythonCandidates(env);
  const versions = await Promise.all(candidates.map((c) => probePython(c, undefined, env)));
  let best: FoundPython | null = null;
  for (const [i, c] of candidates.entries()) {
    const version = versions[i];
    if (version && (!best || compareVersions(version, best.version) > 0)) best = { path: c, version };
  }
  if (best) return best;
  throw new Error(`no Python 3.11+ with venv and ensurepip found (tried ${candidates.join(", ")}); pass --python PATH`);
}
