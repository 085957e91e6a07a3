// Starts real sidecar and worker processes (the built CLI in sidecar/dist) on loopback, each
// with its own temp data folder: used by the process-level tests and by `npm run bench`.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
export const STANDIN = fileURLToPath(new URL("../../test-support/standin-esphome.mjs", import.meta.url));
export const STANDIN_COMMAND = `exec "${process.execPath}" "${STANDIN}"`;
/** The shell stand-in the benchmark uses: same outputs, a fraction of the CPU. */
export const STANDIN_FAST_COMMAND = `exec "${fileURLToPath(new URL("../../test-support/standin-fast.sh", import.meta.url))}"`;

export interface ProcHandle {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Signals (default SIGTERM) and waits for the exit; SIGKILL if it is still running after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** How long `stop` waits after its signal before SIGKILL: well inside a test hook's 60 s. */
const STOP_GRACE_MS = 15_000;

/**
 * Children still running when this process exits (a test whose cleanup hook timed out, a bench
 * that threw) are killed with it, so no sidecar or worker outlives the run that started it.
 */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

function track(proc: ChildProcess): ProcHandle {
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  let out = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    exited,
    async stop(signal = "SIGTERM", graceMs = STOP_GRACE_MS) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      // A worker drains running jobs for up to a minute on SIGTERM, which would outlast a test's cleanup
      // hook: after the grace it is killed, and says so (a slow stop is worth seeing, not a hung suite).
      const late = setTimeout(() => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        process.stderr.write(`[devtools] pid ${proc.pid} still running ${graceMs} ms after ${signal}; SIGKILL\n`);
        proc.kill("SIGKILL");
      }, graceMs);
      late.unref();
      return exited.finally(() => clearTimeout(late));
    },
  };
}

export function tempDir(prefix = "forge-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface SidecarProc extends ProcHandle {
  url: string;
  token: string;
  dataDir: string;
  /** SHA-256 (hex) of the sidecar's TLS key, as workers pin it. */
  fingerprint: string;
}

export async function startSidecar(
  opts: {
    dataDir?: string;
    args?: string[];
    env?: NodeJS.ProcessEnv;
    localSlots?: number | null;
    /** The Node binary to run it with (default this process's). */
    node?: string;
    /**
     * New workers are approved without an admin (default true: most tests are about something else). The
     * enrolment tests turn it off, as a real install has it.
     */
    autoApproveWorkers?: boolean;
  } = {},
): Promise<SidecarProc> {
  const dataDir = opts.dataDir ?? tempDir();
  const args = [
    CLI,
    "serve",
    "--data-dir",
    dataDir,
    "--port",
    "0",
    // null: no flag, so the stored `localWorkerSlots` setting decides (and a PATCH of it takes effect).
    ...(opts.localSlots === null ? [] : ["--local-slots", String(opts.localSlots ?? 0)]),
    "--build-command",
    STANDIN_COMMAND,
    ...(opts.autoApproveWorkers === false ? [] : ["--auto-approve-workers"]),
    ...(opts.args ?? []),
  ];
  // No asking pip for the default ESPHome version unless a test wants it (FORGE_ESPHOME_DEFAULT_PROBE=on),
  // and no mDNS advertising, so parallel tests stay off the network (FORGE_ZEROCONF=on to advertise).
  const env = { ...process.env, FORGE_ESPHOME_DEFAULT_PROBE: "off", FORGE_ZEROCONF: "off", ...opts.env };
  const proc = spawn(opts.node ?? process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const h = track(proc);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidecar did not start:\n${h.output()}`)), 30_000);
    const check = () => {
      const u = /listening on (\S+)/.exec(h.output());
      if (u) {
        clearTimeout(timer);
        resolve(u[1]!);
      }
    };
    proc.stdout.on("data", check);
    void h.exited.then((code) => reject(new Error(`sidecar exited (${code}) before it was ready:\n${h.output()}`)));
  });
  const fingerprint = /TLS key fingerprint \(sha256\): ([0-9a-f]{64})/.exec(h.output())?.[1] ?? "";
  return { ...h, url, token: adminTokenOf(args, env, dataDir), dataDir, fingerprint };
}

/** The admin token a sidecar started with these arguments uses (it prints it only when it creates it). */
function adminTokenOf(args: string[], env: NodeJS.ProcessEnv, dataDir: string): string {
  const flag = (name: string) => {
    const i = args.lastIndexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const file = flag("--admin-token-file") ?? (flag("--admin-token") ? undefined : env.FORGE_ADMIN_TOKEN_FILE);
  const given = flag("--admin-token") ?? (file ? undefined : env.FORGE_ADMIN_TOKEN);
  return (given ?? readFileSync(file ?? join(dataDir, "admin-token"), "utf8").split("\n")[0]!).trim();
}

export function startWorker(opts: {
  url: string;
  token: string;
  name: string;
  slots?: number;
  stateDir?: string;
  tags?: string[];
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  buildCommand?: string;
}): ProcHandle & { stateDir: string } {
  const stateDir = opts.stateDir ?? tempDir("forge-worker-");
  const args = [
    CLI,
    "worker",
    "--server",
    opts.url,
    "--token",
    opts.token,
    "--name",
    opts.name,
    "--slots",
    String(opts.slots ?? 1),
    "--state-dir",
    stateDir,
    "--build-command",
    opts.buildCommand ?? STANDIN_COMMAND,
  ];
  if (opts.tags?.length) args.push("--tags", opts.tags.join(","));
  args.push(...(opts.extraArgs ?? []));
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ...track(proc), stateDir };
}

/** Starts the CLI with these arguments and leaves it running (a worker started with `worker join`, say). */
export function startCli(args: string[], env?: NodeJS.ProcessEnv): ProcHandle {
  return track(
    spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }),
  );
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const h = track(
    spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }),
  );
  const code = await h.exited;
  return { code, out: h.output() };
}

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free loopback port, for tests that restart the sidecar on the same address. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
