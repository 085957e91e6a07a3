// The queue's reads (JobQueue extends it): jobs by id, the queue in dispatch order, what runs where, the
// ownership check, and the history queries (job-history.ts). Nothing here writes; the writes, each one
// transaction announced after its commit, are job-queue.ts.
import { EventEmitter } from "node:events";
import type { Job, JobAction, JobState, LogChunk } from "@esphome-forge/shared";
import type { Affinity, DeviceStats, JobFilter, JobHistory } from "./job-history.js";
import { heldBy, type Holder } from "./job-leases.js";
import { priorityRank, type JobRows } from "./job-rows.js";
import { parseLost } from "./job-transitions.js";

export interface JobQueueEvents {
  job: [job: Job];
  log: [chunk: LogChunk];
  /** Ids of finished jobs deleted by retention. */
  pruned: [ids: number[]];
}

/** Where a running job runs, read without the rest of its row (see `placements`). */
export interface Placement {
  id: number;
  deviceId: string;
  workerId: string | null;
  startedAtMs: number | null;
}

/** The largest page `queuedInOrder` reads at once. */
const MAX_PAGE = 64;

export class JobReads extends EventEmitter<JobQueueEvents> {
  constructor(
    protected readonly rows: JobRows,
    protected readonly history: JobHistory,
  ) {
    super();
  }

  get(id: number): Job | undefined {
    return this.rows.job(id);
  }

  /** Waiting jobs in dispatch order: priority, then first come first served. */
  queued(): Job[] {
    return this.rows.select("SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority_rank, id");
  }

  /**
   * The same order, read a page at a time as the caller goes: a dispatch pass that fills the free slots
   * with the first jobs never reads the rest of a long queue (a whole fleet queued is 2,000 rows). The
   * first page is `firstPage` jobs (a pass with two free slots reads a few rows, not 64 full jobs with
   * their firmware and trust: at 2,000 devices that was most of the garbage a fleet build made); each
   * further page is twice the last, up to MAX_PAGE.
   */
  *queuedInOrder(firstPage = MAX_PAGE): Generator<Job> {
    let size = Math.max(1, Math.min(firstPage, MAX_PAGE));
    let page = this.rows.select("SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority_rank, id LIMIT ?", size);
    while (page.length > 0) {
      yield* page;
      if (page.length < size) return;
      const last = page[page.length - 1]!;
      size = Math.min(size * 2, MAX_PAGE);
      page = this.rows.select(
        "SELECT * FROM jobs WHERE state = 'queued' AND (priority_rank, id) > (?, ?) ORDER BY priority_rank, id LIMIT ?",
        priorityRank(last.priority),
        last.id,
        size,
      );
    }
  }

  /** How many jobs wait and run (counted on the state index; no rows are read). */
  depth(): { queued: number; running: number } {
    const rows = this.rows
      .stmt("SELECT state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY state")
      .all() as { state: string; n: number }[];
    const n = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
    return { queued: n("queued"), running: n("running") };
  }

  running(): Job[] {
    return this.rows.select("SELECT * FROM jobs WHERE state = 'running' ORDER BY id");
  }

  /**
   * What runs where, from four columns: a dispatch pass needs no more, and each job finishing starts one
   * (reading the running jobs whole, with their firmware and trust, was 4% of what a fleet build allocated).
   */
  placements(): Placement[] {
    const rows = this.rows
      .stmt("SELECT id, device_id, worker_id, started_at FROM jobs WHERE state = 'running' ORDER BY id")
      .all() as { id: number; device_id: string; worker_id: string | null; started_at: number | null }[];
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, workerId: r.worker_id, startedAtMs: r.started_at }));
  }

  runningOn(workerId: string): Job[] {
    return this.rows.select("SELECT * FROM jobs WHERE state = 'running' AND worker_id = ? ORDER BY id", workerId);
  }

  hasRunningForDevice(deviceId: string): boolean {
    return this.rows.stmt("SELECT 1 FROM jobs WHERE state = 'running' AND device_id = ?").get(deviceId) !== undefined;
  }

  /** The fencing token of the job's current (or, once finished, last) assignment. */
  fenceOf(jobId: number): string | null {
    const r = this.rows.stmt("SELECT lease_fence FROM jobs WHERE id = ?").get(jobId) as
      { lease_fence: string | null } | undefined;
    return r?.lease_fence ?? null;
  }

  /** The one ownership check: `holder` is the worker the job is running on, with this assignment's fence. */
  holds(jobId: number, holder: Holder): boolean {
    return heldBy(this.rows.row(jobId), holder);
  }

  /** The workers a job was lost on before (its retries go elsewhere first); one lookup by id. */
  lostOn(jobId: number): string[] {
    const r = this.rows.stmt("SELECT lost_on FROM jobs WHERE id = ?").get(jobId) as { lost_on: string } | undefined;
    return parseLost(r?.lost_on);
  }

  list(q: JobFilter): { jobs: Job[]; nextBefore: number | null } {
    return this.history.list(q);
  }

  recent(limit: number): Job[] {
    return this.history.recent(limit);
  }

  active(): Job[] {
    return this.history.active();
  }

  stats(): DeviceStats[] {
    return this.history.stats();
  }

  lastSucceeded(deviceId: string, actions?: readonly JobAction[]): Job | undefined {
    return this.history.lastSucceeded(deviceId, actions);
  }

  lastApprovedBuild(deviceId: string): Job | undefined {
    return this.history.lastApprovedBuild(deviceId);
  }

  lastFinished(deviceId: string, actions: readonly JobAction[]): Job | undefined {
    return this.history.lastFinished(deviceId, actions);
  }

  stateTrail(
    deviceId: string,
    actions: readonly JobAction[],
    states: readonly JobState[],
    limit: number,
  ): { id: number; state: JobState }[] {
    return this.history.stateTrail(deviceId, actions, states, limit);
  }

  latestImages(deviceIds: readonly string[], flash: readonly JobAction[], compile: readonly JobAction[]): string[] {
    return this.history.latestImages(deviceIds, flash, compile);
  }

  activeImages(): string[] {
    return this.history.activeImages();
  }

  finishedSince(since: number): string[] {
    return this.history.finishedSince(since);
  }

  lastOf(deviceId: string, actions: readonly JobAction[]): Job | undefined {
    return this.history.lastOf(deviceId, actions);
  }

  affinity(deviceId: string): Affinity | undefined {
    return this.history.affinity(deviceId);
  }

  /** The whole device → warm worker table (one query for a dispatch pass). */
  affinities(): Map<string, Affinity> {
    return this.history.affinities();
  }
}
