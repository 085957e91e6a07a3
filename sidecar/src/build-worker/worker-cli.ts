// `esphome-forge worker`: parses flags (and FORGE_* environment fallbacks), starts the worker,
// and turns signals into an orderly stop: the first SIGTERM/SIGINT drains, a second one stops
// at once. Resolves with the process exit code.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Tag } from "@esphome-forge/shared";
import { extraBuildEnvProblem } from "../isolation/build-env.js";
import { hideSecretArgs } from "../isolation/hide-args.js";
import type { BuildPhase } from "./phase-commands.js";
import { runAsUser } from "./run-as-user.js";
import { serverUrls } from "./server-url.js";
import { startWorker, type WorkerOptions } from "./worker.js";

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
/** The sidecar refused this worker for good (wrong protocol version, bad or revoked token). */
export const EXIT_REJECTED = 3;

const USAGE = `Usage: esphome-forge worker --server URL --token TOKEN [options]

Connects to a Forge sidecar and runs the ESPHome builds it assigns.

  --server URL            sidecar base URL, e.g. http://192.168.1.10:6055   (env FORGE_SERVER)
  --token TOKEN           worker token from \`esphome-forge token create\`   (env FORGE_WORKER_TOKEN)
  --token-file FILE       read the token from a file instead (preferred: a command line is
                          visible to every local user)                     (env FORGE_WORKER_TOKEN_FILE)
  --user NAME             started as root: read the token, then run as NAME (and every build
                          with it); the state dir is created for NAME      (env FORGE_WORKER_USER)
  --name NAME             shown in the sidecar (default: host name)         (env FORGE_WORKER_NAME)
  --slots N               builds at once, 0–32 (default 1)                  (env FORGE_WORKER_SLOTS)
  --tags a,b              routing tags, lower case                          (env FORGE_WORKER_TAGS)
  --state-dir DIR         worker id and build folders                       (env FORGE_WORKER_STATE_DIR)
                          (default $XDG_STATE_HOME/esphome-forge/worker or ~/.local/state/esphome-forge/worker)
  --esphome PATH          the esphome executable for jobs that name no ESPHome version or
                          its version (default: esphome on PATH)            (env FORGE_ESPHOME_BIN)
  --python PATH           Python 3.11+ for installing the ESPHome versions jobs name, one venv each
                          under <state-dir>/esphome; releases since 2026.7 need 3.12+ (default: the
                          newest of ~/.cache/esphome-forge/python-3.13 and python3.x on PATH)
                                                                            (env FORGE_PYTHON)
  --keep-esphome-versions N  installed ESPHome versions kept, least recently used removed first
                          (default 3)                                       (env FORGE_KEEP_ESPHOME_VERSIONS)
  --build-command CMD     run CMD via /bin/sh for every phase instead of ESPHome (tests and benchmarks;
                          FORGE_PHASE, FORGE_CONFIG, … tell it what to do)  (env FORGE_BUILD_COMMAND)
  --build-command-phases  only these phases use the build command, e.g. compile; the others
                          run the real ESPHome                              (env FORGE_BUILD_COMMAND_PHASES)
  --build-env A,B         environment variables builds may see beyond the built-in allow-list
                          (PATH, HOME, locale, proxies, ESPHOME_*, PLATFORMIO_*, PYTHON*, PIP_*);
                          never FORGE_*                                     (env FORGE_BUILD_ENV)
  --cache-max-mb N        cap on the device build folders (MiB); after each job the least recently
                          used idle ones are deleted until under it (default 20000; 0 = no cap)
                                                                            (env FORGE_WORKER_CACHE_MAX_MB)
  --ota-timeout-ms N      longest one OTA attempt may take; a failed attempt is retried once
                          (default 120000)                                  (env FORGE_OTA_TIMEOUT_MS)
  --drain-timeout-ms N    on SIGTERM, how long running builds may finish (default 60000)
                                                                            (env FORGE_DRAIN_TIMEOUT_MS)
  -h, --help              show this help

On SIGTERM/SIGINT the worker takes no new jobs, lets running ones finish (up to the drain
timeout) and hands the rest back; a second signal stops it at once.`;

class UsageError extends Error {}

const BUILD_PHASES: readonly BuildPhase[] = ["validate", "compile", "upload"];

/** The worker's options plus what only the command itself acts on. */
export interface WorkerArgs extends WorkerOptions {
  /** `--user`: drop from root to this user before anything else runs. */
  user: string | null;
  stateDirGiven: boolean;
}

/** Flags and environment → worker options; throws UsageError with a readable message. */
export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkerArgs | "help" {
  const args = argv[0] === "worker" ? argv.slice(1) : argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        "token-file": { type: "string" },
        name: { type: "string" },
        slots: { type: "string" },
        tags: { type: "string" },
        "state-dir": { type: "string" },
        "build-command": { type: "string" },
        "build-command-phases": { type: "string" },
        "build-env": { type: "string" },
        user: { type: "string" },
        "ota-timeout-ms": { type: "string" },
        esphome: { type: "string" },
        python: { type: "string" },
        "keep-esphome-versions": { type: "string" },
        "cache-max-mb": { type: "string" },
        "drain-timeout-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return "help";
  const str = (flag: string, ...envNames: string[]): string | undefined => {
    const v = values[flag];
    if (typeof v === "string") return v;
    for (const n of envNames) if (env[n]) return env[n];
    return undefined;
  };

  const server = str("server", "FORGE_SERVER");
  if (!server) throw new UsageError("--server is required (or set FORGE_SERVER)");
  try {
    serverUrls(server);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  let token = str("token", "FORGE_WORKER_TOKEN");
  const tokenFile = str("token-file", "FORGE_WORKER_TOKEN_FILE");
  if (!token && tokenFile) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (err) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(err as Error).message}`);
    }
  }
  if (!token) throw new UsageError("--token is required (or set FORGE_WORKER_TOKEN / --token-file)");

  const name = (str("name", "FORGE_WORKER_NAME") ?? os.hostname()).trim() || "worker";
  if (name.length > 128) throw new UsageError("--name must be at most 128 characters");

  const slots = int(str("slots", "FORGE_WORKER_SLOTS") ?? "1", "--slots", 0, 32);
  const tagText = str("tags", "FORGE_WORKER_TAGS") ?? "";
  const tags = list(tagText);
  for (const t of tags) {
    if (!Tag.safeParse(t).success)
      throw new UsageError(
        `--tags: ${JSON.stringify(t)} is not a valid tag (lower case letters, digits, '_', '.', ':', '-')`,
      );
  }
  const drainTimeoutMs = int(
    str("drain-timeout-ms", "FORGE_DRAIN_TIMEOUT_MS") ?? "60000",
    "--drain-timeout-ms",
    0,
    86_400_000,
  );
  const stateDir = path.resolve(str("state-dir", "FORGE_WORKER_STATE_DIR") ?? defaultStateDir(env));
  const buildCommand = str("build-command", "FORGE_BUILD_COMMAND") ?? null;
  const esphomeBin = str("esphome", "FORGE_ESPHOME_BIN", "FORGE_ESPHOME") ?? null;
  const phaseText = str("build-command-phases", "FORGE_BUILD_COMMAND_PHASES");
  let buildCommandPhases: BuildPhase[] | null = null;
  if (phaseText) {
    const list = phaseText
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    for (const p of list) {
      if (!BUILD_PHASES.includes(p as BuildPhase))
        throw new UsageError(`--build-command-phases: ${JSON.stringify(p)} is not one of ${BUILD_PHASES.join(", ")}`);
    }
    buildCommandPhases = list as BuildPhase[];
  }
  const python = str("python", "FORGE_PYTHON") ?? null;
  const keepEsphomeVersions = int(
    str("keep-esphome-versions", "FORGE_KEEP_ESPHOME_VERSIONS") ?? "3",
    "--keep-esphome-versions",
    1,
    100,
  );
  const cacheMaxMb = int(str("cache-max-mb", "FORGE_WORKER_CACHE_MAX_MB") ?? "20000", "--cache-max-mb", 0, 100_000_000);
  const otaTimeoutMs = int(
    str("ota-timeout-ms", "FORGE_OTA_TIMEOUT_MS") ?? "120000",
    "--ota-timeout-ms",
    1000,
    3_600_000,
  );
  const buildEnv = list(str("build-env", "FORGE_BUILD_ENV") ?? "");
  for (const n of buildEnv) {
    const problem = extraBuildEnvProblem(n);
    if (problem) throw new UsageError(`--build-env: ${problem}`);
  }
  const user = str("user", "FORGE_WORKER_USER") ?? null;
  return {
    user,
    stateDirGiven: str("state-dir", "FORGE_WORKER_STATE_DIR") !== undefined,
    buildEnv,
    server,
    token,
    name,
    slots,
    tags,
    stateDir,
    buildCommand,
    buildCommandPhases,
    esphomeBin,
    python,
    keepEsphomeVersions,
    cacheMaxMb,
    otaTimeoutMs,
    drainTimeoutMs,
  };
}

function list(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

function int(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "esphome-forge", "worker");
}

export async function workerCommand(argv: string[]): Promise<number> {
  let opts: WorkerArgs | "help";
  try {
    opts = parseWorkerArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`esphome-forge worker: ${err.message}\nRun \`esphome-forge worker --help\` for the options.`);
    return EXIT_USAGE;
  }
  if (opts === "help") {
    console.log(USAGE);
    return EXIT_OK;
  }

  hideSecretArgs(["esphome-forge", "worker"], argv[0] === "worker" ? argv.slice(1) : argv, ["--token"]);
  // Build folders and ESPHome's output (firmware embeds Wi-Fi passwords and API keys) stay private.
  process.umask(0o077);
  // The token is read; builds never see it (they get an allow-listed environment anyway).
  delete process.env.FORGE_WORKER_TOKEN;
  if (opts.user) {
    try {
      opts.stateDir = runAsUser(opts.user, opts.stateDirGiven ? opts.stateDir : null);
    } catch (err) {
      console.error(`esphome-forge worker: ${(err as Error).message}`);
      return 1;
    }
  }

  let worker: ReturnType<typeof startWorker>;
  try {
    worker = startWorker(opts);
  } catch (err) {
    console.error(`esphome-forge worker: cannot start: ${(err as Error).message}`);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let signals = 0;
    const finish = (code: number) => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      process.stdin.off("end", onParentGone);
      if (watchParent) process.stdin.destroy();
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      const mode = signals === 1 ? "drain" : "now";
      console.log(
        `esphome-forge worker: ${signal}: ${mode === "drain" ? "draining (send again to stop at once)" : "stopping now"}`,
      );
      void worker.stop(mode).then(() => finish(EXIT_OK));
    };
    // The sidecar's built-in worker runs as its child and must not outlive it (stdin closes).
    const watchParent = process.env.FORGE_EXIT_WITH_PARENT === "1";
    const onParentGone = () => {
      console.log("esphome-forge worker: the parent process is gone; stopping");
      void worker.stop("now").then(() => finish(EXIT_OK));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    if (watchParent) {
      process.stdin.on("end", onParentGone);
      process.stdin.resume();
    }
    worker.on("rejected", (info) => {
      const { reason } = info as { code: number; reason: string };
      console.error(`esphome-forge worker: the sidecar refused this worker: ${reason}`);
      void worker.stop("now").then(() => finish(EXIT_REJECTED));
    });
  });
}
