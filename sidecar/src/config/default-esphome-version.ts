// The fleet's default ESPHome version (Settings.defaultEsphomeVersion), chosen once: on a start
// where it is still null, ask pip for the newest release installable with the workers' Python
// (`python -m pip index versions esphome`, so pip's own configured index decides where to look,
// and Requires-Python filters out releases that interpreter cannot run), and record it in the
// settings so it survives restarts. Offline or without pip, fall back to the version of the
// ESPHome CLI the sidecar found locally. Either way the log says what happened.
//
// FORGE_ESPHOME_DEFAULT_PROBE=off turns this off (tests); =on forces it. Unset, it is on unless
// the sidecar runs a stand-in build command (tests and benchmarks), which needs no version.
import { execFile } from "node:child_process";
import type { Settings, SettingsPatch } from "@esphome-forge/shared";

const RELEASE = /^(\d{4})\.(\d{1,2})\.(\d+)$/;
const DEFAULT_TIMEOUT_MS = 60_000;

export interface DefaultVersionOptions {
  settings: { get(): Settings; patch(p: SettingsPatch): Settings };
  /** The interpreter whose pip is asked; rejects when there is none. */
  python: () => Promise<string>;
  /** The local ESPHome CLI's version, or null when there is none. */
  localVersion: () => Promise<string | null>;
  log: (msg: string) => void;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export type DefaultVersionSource = "stored" | "index" | "local" | "none";

export function defaultProbeEnabled(env: NodeJS.ProcessEnv, buildCommand: string | null): boolean {
  const v = (env.FORGE_ESPHOME_DEFAULT_PROBE ?? "").trim().toLowerCase();
  if (["off", "0", "false", "no"].includes(v)) return false;
  if (["on", "1", "true", "yes"].includes(v)) return true;
  return buildCommand === null;
}

/** The newest final release (no a/b/rc/dev) among `versions`, compared numerically. */
export function newestRelease(versions: Iterable<string>): string | null {
  let best: { v: string; key: number[] } | null = null;
  for (const v of versions) {
    const m = RELEASE.exec(v.trim());
    if (!m) continue;
    const key = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (
      !best ||
      key[0]! > best.key[0]! ||
      (key[0] === best.key[0] && (key[1]! > best.key[1]! || (key[1] === best.key[1] && key[2]! > best.key[2]!)))
    ) {
      best = { v: v.trim(), key };
    }
  }
  return best?.v ?? null;
}

/** The newest release in `pip index versions esphome` output, or null when it names none. */
export function parsePipIndexVersions(out: string): string | null {
  const available = /^Available versions:\s*(.+)$/m.exec(out);
  if (available) return newestRelease(available[1]!.split(","));
  const header = /^esphome \(([^)]+)\)\s*$/m.exec(out); // older pips print only the header
  return header ? newestRelease([header[1]!]) : null;
}

/** Runs `python -m pip index versions esphome`; the newest release, or throws with pip's last line. */
export function pipNewestEsphome(
  python: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const args = ["-m", "pip", "index", "versions", "esphome", "--disable-pip-version-check", "--no-input"];
  return new Promise((resolve, reject) => {
    execFile(
      python,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", env: { ...env, PIP_NO_INPUT: "1" }, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const last =
            `${stderr}`
              .trim()
              .split("\n")
              .filter((l) => !/experimental command/.test(l))
              .at(-1) ?? "";
          const why = (err as NodeJS.ErrnoException & { killed?: boolean }).killed
            ? `timed out after ${Math.round(timeoutMs / 1000)} s`
            : last || err.message;
          return reject(new Error(`${python} -m pip index versions esphome: ${why.slice(0, 300)}`));
        }
        const newest = parsePipIndexVersions(stdout);
        if (newest) resolve(newest);
        else reject(new Error(`${python} -m pip index versions esphome named no release`));
      },
    );
  });
}

/** Records the default version once (when none is set); returns what is in effect and where it came from. */
export async function recordDefaultEsphomeVersion(
  o: DefaultVersionOptions,
): Promise<{ version: string | null; source: DefaultVersionSource }> {
  const stored = o.settings.get().defaultEsphomeVersion;
  if (stored) return { version: stored, source: "stored" };
  let version: string | null = null;
  let source: DefaultVersionSource = "none";
  try {
    const python = await o.python();
    version = await pipNewestEsphome(python, o.timeoutMs, o.env);
    source = "index";
    o.log(`default ESPHome version: ${version}, the newest release pip offers for ${python}`);
  } catch (err) {
    const why = (err as Error).message;
    version = await o.localVersion().catch(() => null);
    if (version) {
      source = "local";
      o.log(
        `default ESPHome version: could not ask pip for the newest release (${why}); using the local ESPHome ${version}`,
      );
    } else {
      o.log(
        `default ESPHome version: not set (could not ask pip: ${why}; and no local ESPHome); workers use their own`,
      );
    }
  }
  if (!version) return { version: null, source: "none" };
  // Someone may have chosen a version while pip was asked: theirs wins.
  const now = o.settings.get().defaultEsphomeVersion;
  if (now) return { version: now, source: "stored" };
  o.settings.patch({ defaultEsphomeVersion: version });
  return { version, source };
}

/** Starts `recordDefaultEsphomeVersion` without delaying the start; `onRecorded` runs when it set a value. */
export function recordDefaultEsphomeVersionInBackground(
  o: DefaultVersionOptions & { onRecorded: (version: string) => void },
): void {
  void recordDefaultEsphomeVersion(o).then(
    (r) => {
      if (r.version && r.source !== "stored") o.onRecorded(r.version);
    },
    (err: unknown) => o.log(`default ESPHome version: not recorded: ${(err as Error).message}`), // e.g. stopped meanwhile
  );
}
