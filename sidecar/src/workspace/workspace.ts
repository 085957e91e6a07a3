// The config workspace: the config folder as a git repository with every change committed — Forge's
// own (through editor.ts) with the user who made it, and changes made outside Forge (an editor on
// disk, another tool), which the inventory's watcher reports and this commits as "external change"
// once they have settled, so the history has no gaps. Also the status, device history and remote.
import path from "node:path";
import type { WorkspaceStatus } from "@esphome-forge/shared";
import { commitPaths, CommitQueue, dirtyPaths, EXTERNAL_ACTOR, FORGE_ACTOR } from "./commits.js";
import { DeviceStates, type DeviceSource } from "./device-state.js";
import type { EditorContext } from "./editor.js";
import { WorkspaceError } from "./errors.js";
import { RemotePusher } from "./remote.js";
import {
  currentBranch,
  ensureIgnore,
  headCommit,
  isEmpty,
  isIgnored,
  isTracked,
  openRepo,
  type RepoInfo,
} from "./repo.js";

export interface WorkspaceOptions {
  configDir: string;
  /** Where the remote's settings and credentials are kept (inside the sidecar's data folder). */
  stateDir: string;
  devices: DeviceSource;
  /** A device's view may have changed (history, validation). */
  deviceChanged: (id: string) => void;
  statusChanged: (s: WorkspaceStatus) => void;
  log: (msg: string) => void;
  /** How long outside changes must be quiet before they are committed (default 2 s). */
  settleMs?: number;
  remoteRetryMs?: number;
}

const MAX_LISTED = 5;

export class Workspace {
  private repoInfo: RepoInfo | null = null;
  private error: string | null = null;
  private head: string | null = null;
  private branch: string | null = null;
  private secretsTracked = false;
  readonly queue = new CommitQueue();
  readonly devices: DeviceStates;
  readonly remote: RemotePusher;
  /** Paths the watcher reported that may hold uncommitted outside changes. */
  private readonly touched = new Set<string>();
  private settleTimer: NodeJS.Timeout | null = null;
  /**
   * While a look-around is pending (after a rescan, or edits elsewhere): one `git status` for every build
   * dispatched meanwhile. One each took the commit queue ~80 ms per job at 2,000 files — about 40 serialised
   * spawns of git after every 30 s rescan during a fleet build.
   */
  private pendingStatus: Promise<string[]> | null = null;
  private stopped = false;

  constructor(private readonly o: WorkspaceOptions) {
    this.devices = new DeviceStates(
      () => this.repoInfo,
      () => this.head,
      o.devices,
      o.deviceChanged,
      o.log,
    );
    this.remote = new RemotePusher(
      o.stateDir,
      () => this.repoInfo,
      () => this.emit(),
      o.log,
      o.remoteRetryMs,
    );
  }

  get enabled(): boolean {
    return this.repoInfo !== null;
  }

  /** The repository, or a 503 saying why there is none. */
  repo(): RepoInfo {
    if (!this.repoInfo)
      throw new WorkspaceError("unavailable", `config history is off: ${this.error ?? "not started"}`);
    return this.repoInfo;
  }

  async start(): Promise<void> {
    try {
      const repo = await openRepo(this.o.configDir);
      const ignoreAdded = await ensureIgnore(repo.dir);
      this.repoInfo = repo;
      if (await isEmpty(repo.git)) {
        await this.queue.run(() =>
          commitPaths(repo, {
            paths: ["."],
            actor: FORGE_ACTOR,
            action: "init",
            subject: "Start the history of the config folder",
          }),
        );
      } else if (ignoreAdded) {
        await this.queue.run(() =>
          commitPaths(repo, {
            paths: [".gitignore"],
            actor: FORGE_ACTOR,
            action: "adopt",
            subject: "Ignore ESPHome build output and secrets.yaml",
          }),
        );
      }
      this.o.log(
        `workspace: ${repo.adopted ? "adopted the repository at" : "started a repository in"} ${repo.root}` +
          (repo.prefix ? ` (config folder ${repo.prefix})` : ""),
      );
      // Whatever changed while the sidecar was not running.
      await this.queue.run(() => this.commitExternal());
      await this.refreshHead();
      this.devices.loadValidations();
      void this.devices.refresh();
    } catch (e) {
      this.repoInfo = null;
      this.error = (e as Error).message.split("\n")[0]!;
      this.o.log(`workspace: config history is off: ${this.error}`);
    }
    this.emit();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    await this.remote.stop();
    await this.queue.idle();
  }

  /** The inventory's watcher saw these config-relative paths change. */
  pathsChanged(paths: string[]): void {
    if (!this.repoInfo || this.stopped) return;
    this.pendingStatus = null;
    for (const p of paths) if (!p.split("/").some((s) => s.startsWith("."))) this.touched.add(p);
    this.scheduleSettle();
  }

  /** A periodic full rescan ran: look for changes the watcher cannot see (unwatched folders). */
  rescanned(): void {
    if (this.repoInfo && !this.settleTimer) this.scheduleSettle();
  }

  private scheduleSettle(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.pendingStatus = null;
      void this.queue
        .run(() => this.commitExternal())
        .catch((e: Error) => this.o.log(`workspace: external change: ${e.message}`));
    }, this.o.settleMs ?? 2000);
    this.settleTimer.unref();
  }

  /** Commits outside changes (to `only`, else everywhere in the folder). Call inside the queue. */
  async commitExternal(only?: string[]): Promise<string | null> {
    const repo = this.repoInfo;
    if (!repo) return null;
    let dirty = await dirtyPaths(repo);
    if (only) dirty = dirty.filter((p) => only.includes(p));
    for (const p of only ?? [...this.touched]) this.touched.delete(p);
    if (dirty.length === 0) return null;
    const listed =
      dirty.slice(0, MAX_LISTED).join(", ") +
      (dirty.length > MAX_LISTED ? ` and ${dirty.length - MAX_LISTED} more` : "");
    const commit = await commitPaths(repo, {
      paths: dirty,
      actor: EXTERNAL_ACTOR,
      action: "external",
      subject: `External change: ${listed}`,
    });
    if (commit) this.committed(commit, dirty);
    return commit;
  }

  /** The commit a job's config is taken from, at dispatch: pending outside edits of its files are committed first. */
  async commitForBuild(deviceId: string): Promise<string | null> {
    if (!this.repoInfo) return null;
    const repo = this.repoInfo;
    const files = this.o.devices.filesOf(deviceId);
    let outside = files.some((f) => this.touched.has(f));
    if (!outside && this.settleTimer !== null) {
      const dirty = await (this.pendingStatus ??= this.queue.run(() => dirtyPaths(repo)).catch(() => []));
      outside = files.some((f) => dirty.includes(f));
    }
    if (outside) await this.queue.run(() => this.commitExternal(files)).catch(() => null);
    return this.head;
  }

  /** The callbacks editor operations commit through. */
  context(): EditorContext {
    return {
      repo: this.repo(),
      queue: this.queue,
      commitExternal: (paths) => this.commitExternal(paths),
      committed: (commit, paths) => this.committed(commit, paths),
    };
  }

  private committed(commit: string, paths: string[]): void {
    this.head = commit;
    this.pendingStatus = null;
    const affected = this.o.devices.ids().filter((id) => this.o.devices.filesOf(id).some((f) => paths.includes(f)));
    void this.devices.refresh(affected);
    this.remote.committed();
    void this.refreshHead();
  }

  private async refreshHead(): Promise<void> {
    const repo = this.repoInfo;
    if (!repo) return;
    this.head = await headCommit(repo.git);
    this.branch = await currentBranch(repo.git);
    this.secretsTracked = (await isTracked(repo, "secrets.yaml")) || !(await isIgnored(repo, "secrets.yaml"));
    this.emit();
  }

  status(): WorkspaceStatus {
    const repo = this.repoInfo;
    return {
      enabled: repo !== null,
      error: this.error,
      head: this.head,
      branch: this.branch,
      adopted: repo?.adopted ?? false,
      subfolder: repo?.prefix || null,
      secretsTracked: this.secretsTracked,
      pendingExternal: this.touched.size,
      remote: this.remote.current,
    };
  }

  private emit(): void {
    if (!this.stopped) this.o.statusChanged(this.status());
  }

  /** The config folder's absolute path of a config-relative file. */
  abs(rel: string): string {
    return path.join(this.repo().dir, rel);
  }
}
