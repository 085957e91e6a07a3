// Finds a Python interpreter that can host ESPHome venvs: 3.11 or newer, with `venv` and
// `ensurepip`. An explicit interpreter (--python / FORGE_PYTHON) must qualify or it is an error;
// otherwise the usual names on PATH are tried, newest first.
import { execFile } from "node:child_process";

const PROBE =
  "import sys, venv, ensurepip; print('%d.%d.%d' % sys.version_info[:3]); sys.exit(0 if sys.version_info >= (3, 11) else 1)";
const CANDIDATES = ["python3.13", "python3.12", "python3", "python3.11", "/usr/bin/python3"];

export interface FoundPython {
  path: string;
  version: string;
}

/** Runs the probe; the version when `python` is a usable 3.11+ interpreter, else null. */
export function probePython(python: string, timeoutMs = 10_000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(python, ["-c", PROBE], { timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? null : stdout.trim() || null);
    });
  });
}

export async function findPython(explicit: string | null, env: NodeJS.ProcessEnv = process.env): Promise<FoundPython> {
  const chosen = explicit ?? env.FORGE_PYTHON ?? null;
  if (chosen) {
    const version = await probePython(chosen);
    if (!version)
      throw new Error(`the Python interpreter ${chosen} is not a usable Python 3.11+ with venv and ensurepip`);
    return { path: chosen, version };
  }
  for (const c of CANDIDATES) {
    const version = await probePython(c);
    if (version) return { path: c, version };
  }
  throw new Error(`no Python 3.11+ with venv and ensurepip found (tried ${CANDIDATES.join(", ")}); pass --python PATH`);
}
