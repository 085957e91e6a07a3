// Runs the real `esphome` CLI for the inventory: `esphome version` and `esphome config`. Each call
// has a timeout (the whole process group is killed), stdin is closed so ESPHome can never prompt, and
// at most `maxConcurrent` run at once (each one is a ~0.5 s Python start-up plus validation).
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { buildEnv } from "../isolation/build-env.js";
import type { RunAs } from "./config-sandbox.js";
import type { Diagnostic } from "./errors.js";
import { parseConfigErrors, resolvedYaml } from "./esphome-output.js";

export interface EsphomeConfigResult {
  ok: boolean;
  /** stdout then stderr, as printed (ANSI included). */
  output: string;
  errors: Diagnostic[];
  /** Set when ESPHome itself could not run (start failure, timeout, killed): says nothing about the config. */
  unavailable?: boolean;
  /** On success: the resolved config ESPHome printed (stdout, hidden-secret codes stripped). */
  resolved?: string;
}

export interface EsphomeCli {
  argv: string[];
  version(): Promise<string | null>;
  /** `esphome config <file>` with the file relative to (and cwd in) `configDir`; as another user when `as` says so. */
  config(file: string, as?: RunAs): Promise<EsphomeConfigResult>;
}

export interface EsphomeCliOptions {
  configDir?: string;
  timeoutMs?: number;
  maxConcurrent?: number;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError: Error | null;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

export function runCommand(argv: string[], cwd: string, timeoutMs: number, as?: RunAs): Promise<RunResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      // ESPHome runs config code (external components, `!env_var`): never the sidecar's environment.
      env: buildEnv(process.env, [], { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1", ...as?.env }),
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (b: Buffer) => {
      if ((size += b.length) <= MAX_OUTPUT) into.push(b);
    };
    child.stdout.on("data", keep(out));
    child.stderr.on("data", keep(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    const done = (code: number | null, spawnError: Error | null) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
        spawnError,
      });
    };
    child.on("error", (e) => done(null, e));
    child.on("close", (code) => done(code, null));
  });
}

/** A counting semaphore: `run` waits for a free slot. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export function createEsphomeCli(argv: string[], opts: EsphomeCliOptions = {}): EsphomeCli {
  const limiter = new Limiter(opts.maxConcurrent ?? 2);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let versionP: Promise<string | null> | null = null;
  return {
    argv,
    version() {
      versionP ??= runCommand([...argv, "version"], process.cwd(), 30_000).then((r) => {
        const m = /Version:\s*(\S+)/.exec(r.stdout + r.stderr);
        if (r.code !== 0 || !m) versionP = null; // try again next time
        return r.code === 0 && m ? m[1]! : null;
      });
      return versionP;
    },
    config(file, as) {
      const cwd = opts.configDir ?? path.dirname(path.resolve(file));
      const arg = opts.configDir ? file : path.basename(file);
      return limiter.run(async () => {
        const r = await runCommand([...argv, "config", arg], cwd, timeoutMs, as);
        const output = r.stdout + r.stderr;
        const broken = (message: string) => ({
          ok: false,
          output,
          unavailable: true,
          errors: [{ file: null, line: null, message }],
        });
        if (r.spawnError) return broken(`esphome could not start: ${r.spawnError.message}`);
        if (r.timedOut) return broken(`esphome config timed out after ${timeoutMs} ms`);
        if (r.code === null) return broken("esphome config was killed");
        if (r.code === 0) return { ok: true, output, errors: [], resolved: resolvedYaml(r.stdout) };
        const errors = parseConfigErrors(r.stdout, r.stderr, cwd);
        return {
          ok: false,
          output,
          errors: errors.length
            ? errors
            : [{ file: null, line: null, message: `esphome config exited with ${r.code}` }],
        };
      });
    },
  };
}

/** Explicit path, else $FORGE_ESPHOME_BIN, else `esphome` on PATH; null when none of them runs. */
export async function findEsphome(
  explicitBin?: string | null,
  opts: EsphomeCliOptions = {},
): Promise<EsphomeCli | null> {
  const candidates = [explicitBin, process.env.FORGE_ESPHOME_BIN, await onPath("esphome")].filter(
    (c): c is string => typeof c === "string" && c.length > 0,
  );
  for (const bin of candidates) {
    const cli = createEsphomeCli([bin], opts);
    if ((await cli.version()) != null) return cli;
  }
  return null;
}

async function onPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}
