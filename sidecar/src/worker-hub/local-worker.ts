// The built-in local worker: the same worker CLI, run as a child process of the sidecar with
// its own token. It exits when the sidecar dies (its stdin pipe closes), so a restarted
// sidecar never ends up with two local workers fighting over one worker id.
//
// It never sees the sidecar's environment (an allow-list, isolation/build-env.ts) and reads its
// token from a 0600 file, never from a variable its builds could inherit. Run by root, it drops to
// the build user (build-user.ts) right after reading the token.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildEnv } from "../isolation/build-env.js";
import type { BuildIsolation } from "./build-user.js";
import type { WorkerTokens } from "./worker-tokens.js";

export interface LocalWorkerOptions {
  dataDir: string;
  serverUrl: string;
  tokens: WorkerTokens;
  buildCommand: string | null;
  esphomeBin: string | null;
  /** Who its builds run as and where it keeps its state (build-user.ts). */
  isolation: BuildIsolation;
  /** The slot count a user set for the worker bound to this token (through the API or HA), if any. */
  storedSlots: (tokenId: string) => number | null;
  log: (msg: string) => void;
}

/** The worker's own settings a sidecar's environment may carry for its local worker. */
const WORKER_SETTINGS = [
  "FORGE_CACHE",
  "FORGE_PYTHON",
  "FORGE_KEEP_ESPHOME_VERSIONS",
  "FORGE_WORKER_CACHE_MAX_MB",
  "FORGE_BUILD_COMMAND_PHASES", // which phases a --build-command stands in for (tests: real `esphome config`)
];

const TOKEN_NAME = "built-in local worker";

const CLI = fileURLToPath(new URL("../cli.js", import.meta.url));

export class LocalWorker {
  private child: ChildProcess | null = null;
  private slots = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  /** Set by stop(): the sidecar is shutting down, nothing starts again. */
  private closed = false;
  tokenId: string | null = null;

  constructor(private readonly o: LocalWorkerOptions) {}

  /**
   * The local worker's token: created once, its secret kept in a 0600 file in the data folder, which
   * the worker reads before it gives up root. A new one (the file was lost) replaces the old, which is
   * revoked: the worker's id moves to the new token when it proves its key. Returns the file's path.
   */
  private tokenFile(): string {
    const file = join(this.o.dataDir, "local-worker.token");
    if (existsSync(file)) {
      const auth = this.o.tokens.authenticate(readFileSync(file, "utf8").trim());
      if (auth.ok) {
        this.tokenId = auth.tokenId;
        return file;
      }
    }
    for (const old of this.o.tokens.list()) if (old.name === TOKEN_NAME && !old.revokedAt) this.o.tokens.revoke(old.id);
    const { token, secret } = this.o.tokens.create(TOKEN_NAME);
    writeFileSync(file, secret + "\n", { mode: 0o600 });
    this.tokenId = token.id;
    return file;
  }

  /** Starts, resizes or stops the local worker to match the slot setting. */
  apply(slots: number): void {
    this.slots = slots;
    if (slots === 0) {
      void this.halt();
      return;
    }
    if (!this.child) this.spawn();
    // A running child learns new slot counts through the hub's `configure` message.
  }

  private spawn(): void {
    if (this.child || this.slots === 0 || this.closed) return;
    this.stopping = false;
    const { stateDir, user } = this.o.isolation;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const tokenFile = this.tokenFile();
    // Slots set for the worker through the API outlive a restart: start with them, not the default.
    const slots = this.o.storedSlots(this.tokenId!) ?? this.slots;
    const args = [
      CLI,
      "worker",
      "--server",
      this.o.serverUrl,
      "--name",
      "local",
      "--slots",
      String(slots),
      "--state-dir",
      stateDir,
      "--token-file",
      tokenFile,
    ];
    if (user) args.push("--user", user.name);
    if (this.o.buildCommand) args.push("--build-command", this.o.buildCommand);
    if (this.o.esphomeBin) args.push("--esphome", this.o.esphomeBin);
    const settings = Object.fromEntries(
      WORKER_SETTINGS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!] as const),
    );
    const child = spawn(process.execPath, args, {
      cwd: stateDir,
      stdio: ["pipe", "pipe", "pipe"],
      env: buildEnv(process.env, [], { ...settings, FORGE_EXIT_WITH_PARENT: "1" }),
    });
    this.child = child;
    const relay = (buf: Buffer) => {
      for (const line of buf.toString("utf8").split("\n")) if (line.trim()) this.o.log(`[local worker] ${line}`);
    };
    child.stdout?.on("data", relay);
    child.stderr?.on("data", relay);
    child.on("exit", (code, signal) => {
      this.child = null;
      if (this.stopping || this.slots === 0) return;
      // Unexpected exit: restart with a growing delay so a crash loop cannot spin.
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.o.log(`local worker exited (${signal ?? code}); restarting in ${delay} ms`);
      this.restartTimer = setTimeout(() => this.spawn(), delay);
    });
  }

  /** Stops the worker for good (the sidecar is stopping). */
  stop(): Promise<void> {
    this.closed = true;
    return this.halt();
  }

  private async halt(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
