// The sidecar runs with V8's `--optimize-for-size`: a heap that grows less between collections and
// smaller code. Measured with the benchmark (one run each): peak RSS 156 → 125 MB for the 200-device
// fleet and 242-284 → 167 MB at 2,000 devices, with the same dispatch latency (a small young
// generation alone, --max-semi-space-size=1, made the 2,000-device peak worse: objects promoted early
// left more for the old generation). Heap flags only count when the process starts, and V8 refuses
// this one in NODE_OPTIONS, so `serve` replaces itself (execve: same pid, stdio and signals) with the
// flags (and MALLOC_ARENA_MAX, below) once, however it was launched (npm start, the CLI, the add-on, the
// test and benchmark helpers). FORGE_NODE_TUNING=off keeps the process as started.

export const SIDECAR_NODE_FLAGS: readonly string[] = ["--optimize-for-size"];

/**
 * glibc's malloc arenas, at most 2 (the C library reads this only when a process starts, so it rides the
 * same re-exec): each thread that allocates — libuv's pool, V8's helpers, the WAL checkpoint thread — may
 * otherwise get an arena of its own whose free pages stay in RSS. At 2,000 devices: 201–216 → 194 MB
 * peak (one run). A value already in the environment is kept.
 */
export const MALLOC_ARENAS = "2";

const MARK = "FORGE_SIDECAR_TUNED";

/**
 * The flags still missing from how this process was started (none when tuned or switched off).
 * FORGE_SIDECAR_NODE_FLAGS replaces the list (to measure others; V8 refuses most in NODE_OPTIONS).
 */
export function missingFlags(execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (env.FORGE_NODE_TUNING === "off" || env[MARK] === "1") return [];
  const wanted = env.FORGE_SIDECAR_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? SIDECAR_NODE_FLAGS;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)];
  return wanted.filter((f) => !given.some((g) => g.split("=")[0] === f.split("=")[0]));
}

/** Restarts this process in place with the flags, if any are missing; returns when there is nothing to do. */
export function execWithSidecarFlags(): void {
  const missing = missingFlags(process.execArgv, process.env);
  if (missing.length === 0 || typeof process.execve !== "function") return;
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)],
    tunedEnv(process.env),
  );
}

/** The environment the sidecar restarts itself with. */
export function tunedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: MALLOC_ARENAS, ...env, [MARK]: "1" };
}
