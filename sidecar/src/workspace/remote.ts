// Pushes the history to an optional remote after each commit: an SSH key or a token kept by the
// sidecar (files 0600 in its data folder, never in the repository's config or a command line), the
// outcome as a status, failures retried with backoff. Never a force-push: a remote that has commits
// Forge lacks is reported, not overwritten. The remote is pushed to by URL, so an adopted
// repository's own remotes and config stay untouched.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RemoteStatus } from "@esphome-forge/shared";
import type { RemoteConfigRequest } from "@esphome-forge/shared";
import type { z } from "zod";
import { git } from "./git.js";
import type { RepoInfo } from "./repo.js";

type RemoteConfig = z.output<typeof RemoteConfigRequest>;
interface StoredRemote {
  url: string;
  branch: string;
  auth: "none" | "ssh" | "token";
  username?: string;
}

const RETRY_MIN_MS = 15_000;
const RETRY_MAX_MS = 15 * 60_000;
const PUSH_TIMEOUT_MS = 120_000;

/** The URL without user information (a token someone put in it stays out of the status). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, "$1");
}

export class RemotePusher {
  private config: StoredRemote | null = null;
  private status: RemoteStatus = idleStatus(null);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly repo: () => RepoInfo | null,
    private readonly onStatus: (s: RemoteStatus) => void,
    private readonly log: (msg: string) => void,
    private readonly retryMinMs = RETRY_MIN_MS,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, "remote.json");
    if (existsSync(file)) {
      try {
        this.config = JSON.parse(readFileSync(file, "utf8")) as StoredRemote;
        this.status = idleStatus(this.config);
      } catch (e) {
        log(`workspace: ignoring unreadable ${file}: ${(e as Error).message}`);
      }
    }
  }

  get current(): RemoteStatus {
    return this.status;
  }

  configure(req: RemoteConfig): RemoteStatus {
    const stored: StoredRemote = { url: req.url, branch: req.branch, auth: req.auth.type };
    this.forgetSecrets();
    if (req.auth.type === "ssh")
      this.writeSecret("ssh-key", req.auth.privateKey.replace(/\r\n/g, "\n").trimEnd() + "\n");
    if (req.auth.type === "token") {
      stored.username = req.auth.username;
      this.writeSecret("token", req.auth.token);
    }
    this.writeSecret("remote.json", JSON.stringify(stored, null, 2) + "\n");
    this.config = stored;
    this.set(idleStatus(stored));
    this.schedule(0);
    return this.status;
  }

  remove(): RemoteStatus {
    this.config = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.forgetSecrets();
    rmSync(path.join(this.dir, "remote.json"), { force: true });
    this.set(idleStatus(null));
    return this.status;
  }

  /** A commit was made: push soon (commits in quick succession go in one push). */
  committed(): void {
    if (this.config) this.schedule(500);
  }

  /** Push now and answer with the outcome. */
  async pushNow(): Promise<RemoteStatus> {
    if (!this.config) return this.status;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.push();
    return this.status;
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  private schedule(ms: number): void {
    if (this.stopped || !this.config) return;
    if (this.status.state !== "failing") this.set({ ...this.status, state: "pending" });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.push();
    }, ms);
    this.timer.unref();
  }

  private push(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pushOnce().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    });
    return this.running;
  }

  private async pushOnce(): Promise<void> {
    const cfg = this.config;
    const repo = this.repo();
    if (!cfg || !repo || this.stopped) return;
    const attemptAt = new Date().toISOString();
    try {
      const head = (await repo.git.raw(["rev-parse", "--verify", "HEAD^{commit}"])).trim();
      const { env, allow } = this.credentials(cfg);
      const g = git(repo.dir, repo.root, {
        // Only these transports, whatever the URL or a config says (no ext::, no fd::).
        env: { ...env, GIT_ALLOW_PROTOCOL: "file:https:ssh" },
        allowEnvironment: [...allow, "GIT_ALLOW_PROTOCOL"],
        unsafeConfigEnv: cfg.auth === "token",
        timeoutMs: PUSH_TIMEOUT_MS,
      });
      // No --force, no +refspec: git refuses anything but a fast-forward of the remote branch.
      const out = await g.raw(["push", "--porcelain", cfg.url, `${head}:refs/heads/${cfg.branch}`]);
      if (/^!\t/m.test(out) || !/^Done$/m.test(out)) throw new Error(out.trim() || "git push reported nothing");
      this.set({
        ...this.status,
        state: "ok",
        lastPushAt: attemptAt,
        lastAttemptAt: attemptAt,
        lastPushedCommit: head,
        lastError: null,
        failures: 0,
        nextRetryAt: null,
      });
    } catch (e) {
      const failures = this.status.failures + 1;
      const wait = Math.min(RETRY_MAX_MS, this.retryMinMs * 2 ** Math.min(failures - 1, 10));
      const reason = describePushError((e as Error).message.replaceAll(cfg.url, redactUrl(cfg.url)));
      this.log(`workspace: push to ${redactUrl(cfg.url)} failed (${failures}): ${reason}`);
      this.set({
        ...this.status,
        state: "failing",
        lastAttemptAt: attemptAt,
        lastError: reason,
        failures,
        nextRetryAt: new Date(Date.now() + wait).toISOString(),
      });
      if (!this.stopped && this.config === cfg) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.push();
        }, wait);
        this.timer.unref();
      }
    }
  }

  private credentials(cfg: StoredRemote): { env: Record<string, string>; allow: string[] } {
    if (cfg.auth === "ssh") {
      const key = path.join(this.dir, "ssh-key");
      const known = path.join(this.dir, "known_hosts");
      const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
      return {
        env: {
          GIT_SSH_COMMAND: `ssh -i ${q(key)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${q(known)}`,
        },
        allow: ["GIT_SSH_COMMAND"],
      };
    }
    if (cfg.auth === "token") {
      const token = readFileSync(path.join(this.dir, "token"), "utf8");
      const basic = Buffer.from(`${cfg.username ?? "git"}:${token}`).toString("base64");
      // Through the environment, not `-c`: a command line is visible to every local user.
      return {
        env: {
          GIT_CONFIG_COUNT: "1",
          GIT_CONFIG_KEY_0: "http.extraHeader",
          GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
        },
        allow: ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"],
      };
    }
    return { env: {}, allow: [] };
  }

  private writeSecret(name: string, content: string): void {
    const file = path.join(this.dir, name);
    rmSync(file, { force: true });
    writeFileSync(file, content, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
  }

  private forgetSecrets(): void {
    for (const f of ["ssh-key", "token"]) rmSync(path.join(this.dir, f), { force: true });
  }

  private set(s: RemoteStatus): void {
    this.status = s;
    this.onStatus(s);
  }
}

function idleStatus(cfg: StoredRemote | null): RemoteStatus {
  return {
    state: cfg ? "pending" : "off",
    url: cfg ? redactUrl(cfg.url) : null,
    branch: cfg?.branch ?? null,
    auth: cfg?.auth ?? null,
    lastPushAt: null,
    lastPushedCommit: null,
    lastAttemptAt: null,
    lastError: null,
    failures: 0,
    nextRetryAt: null,
  };
}

/** git's answer, shortened to what a user can act on. */
export function describePushError(message: string): string {
  const text = message.replace(/\s+/g, " ").trim();
  if (/non-fast-forward|fetch first|\[rejected\]/.test(text))
    return `the remote has commits the config folder lacks; Forge never force-pushes — merge them into the folder's repository or push to another branch (${text.slice(0, 300)})`;
  return text.slice(0, 500) || "push failed";
}
