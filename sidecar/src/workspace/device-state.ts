// What each device view shows about its config history and validation, kept in memory so building
// a view costs no git call or query: the newest commit of its file, the commit its last successful
// compile was built from and how many commits touched its files since ("built from <commit>, N
// changes since"), and its last validate job's errors. Refreshed after commits and finished jobs.
import {
  COMPILE_ACTIONS,
  TERMINAL_JOB_STATES,
  type DeviceConfigHistory,
  type DeviceValidation,
  type Job,
} from "@esphome-forge/shared";
import { literal } from "./commits.js";
import { historyIndex, type HistoryIndex } from "./history-index.js";
import type { RepoInfo } from "./repo.js";
import { pool } from "../util/pool.js";

export interface DeviceSource {
  /** The device's config file and the files it includes (config-relative). */
  filesOf(id: string): string[];
  ids(): string[];
  configHash(id: string): string | null;
  lastCompile(id: string): Job | undefined;
  lastValidation(id: string): Job | undefined;
}

const CONCURRENCY = 4;
/** From this many devices to refresh, their history comes from one `git log` (history-index.ts). */
const BULK_FROM = 16;

export class DeviceStates {
  private readonly history = new Map<string, DeviceConfigHistory>();
  private readonly validation = new Map<string, Job>();
  private pending = new Set<string>();
  private draining: Promise<void> | null = null;

  constructor(
    private readonly repo: () => RepoInfo | null,
    /** The repository's newest commit, as the workspace last saw it. */
    private readonly head: () => string | null,
    private readonly devices: DeviceSource,
    private readonly changed: (id: string) => void,
    private readonly log: (msg: string) => void,
  ) {}

  historyOf(id: string): DeviceConfigHistory | null {
    return this.history.get(id) ?? null;
  }

  validationOf(id: string, configHash: string | null): DeviceValidation | null {
    const job = this.validation.get(id);
    if (!job) return null;
    return {
      jobId: job.id,
      state: job.state,
      finishedAt: job.finishedAt,
      errors: job.validationErrors,
      current: job.configHash != null && job.configHash === configHash,
    };
  }

  /** A job changed: a finished validate updates the validation, a finished compile the "built from". */
  jobChanged(job: Job): void {
    if (!TERMINAL_JOB_STATES.includes(job.state)) return;
    if (job.action === "validate") {
      const before = this.validation.get(job.deviceId);
      if (!before || before.id <= job.id) {
        this.validation.set(job.deviceId, job);
        this.changed(job.deviceId);
      }
    } else if (COMPILE_ACTIONS.includes(job.action) && job.state === "succeeded") {
      const prev = this.history.get(job.deviceId);
      // Built from the newest commit: nothing changed since, no git needed — and set before the
      // device is announced for this job, so the build costs no extra device event.
      if (job.configCommit && job.configCommit === this.head()) {
        this.history.set(job.deviceId, { commit: prev?.commit ?? null, builtFrom: job.configCommit, changesSince: 0 });
      } else void this.refresh([job.deviceId]);
    }
  }

  forget(id: string): void {
    this.history.delete(id);
    this.validation.delete(id);
  }

  /** Recomputes the history of these devices (all when absent) in the background. */
  refresh(ids?: string[]): Promise<void> {
    for (const id of ids ?? this.devices.ids()) this.pending.add(id);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
      // Ids added after the loop's last check but before this ran would otherwise wait for the next refresh.
      if (this.pending.size > 0) void this.refresh([]);
    });
    return this.draining;
  }

  /** Loads every device's last validation from the queue (at start). */
  loadValidations(): void {
    for (const id of this.devices.ids()) {
      const job = this.devices.lastValidation(id);
      if (job) this.validation.set(id, job);
    }
  }

  private async drain(): Promise<void> {
    // Many devices at once (start, a rescan): one `git log` answers for all of them where it can.
    const repo = this.repo();
    const index = repo && this.pending.size >= BULK_FROM ? await historyIndex(repo) : null;
    while (this.pending.size > 0) {
      const ids = [...this.pending];
      this.pending.clear();
      // With the index most devices need no git at all: the pool still gives the loop its turns.
      await pool(ids, CONCURRENCY, (id) => this.compute(id, index));
    }
  }

  private async compute(id: string, index: HistoryIndex | null): Promise<void> {
    const repo = this.repo();
    const files = this.devices.filesOf(id);
    if (!repo || files.length === 0) return;
    try {
      const commit =
        index?.newest(files[0]!) ??
        ((await repo.git.raw(["log", "-1", "--format=%H", "--", literal([files[0]!])[0]!]).catch(() => "")).trim() ||
          null);
      const built = this.devices.lastCompile(id)?.configCommit ?? null;
      let changesSince: number | null = null;
      if (built) changesSince = index?.changesSince(built, files) ?? null;
      if (built && changesSince === null) {
        const out = await repo.git
          .raw(["rev-list", "--count", `${built}..HEAD`, "--", ...literal(files)])
          .catch(() => "");
        changesSince = /^\d+$/.test(out.trim()) ? Number(out.trim()) : null;
      }
      const next: DeviceConfigHistory = { commit, builtFrom: built, changesSince };
      const prev = this.history.get(id);
      if (JSON.stringify(prev) === JSON.stringify(next)) return;
      this.history.set(id, next);
      this.changed(id);
    } catch (e) {
      this.log(`workspace: history of ${id}: ${(e as Error).message}`);
    }
  }
}
