// The durable job queue. SQLite is the truth: every change is one transaction, and "job" / "log"
// events go out only after it commits. A running job carries a fencing token; every message about
// it must present that token, so a worker that lost the job can no longer touch it.
import { EventEmitter } from "node:events";
import {
  TERMINAL_JOB_STATES,
  type FirmwareImage,
  type Job,
  type JobAction,
  type JobPhase,
  type Settings,
  type ValidationError,
} from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import { systemClock, type Clock } from "../util/clock.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import { enqueueIn, retryRequest, validateRequest, type EnqueueRequest } from "./job-enqueue.js";
import { JobHistory, type Affinity, type DeviceStats, type JobFilter } from "./job-history.js";
import { JobLog, type LogRead } from "./job-log.js";
import { recordAffinity, recordFirmware } from "./job-results.js";
import { JobRows, type JobRow } from "./job-rows.js";
import { cancelRow, finish, requeueOrFail, type Tx } from "./job-transitions.js";
import { expireLeases, expireTimeouts } from "./lease-sweeper.js";

export { ConflictError, NotFoundError } from "../util/errors.js";
export type { EnqueueRequest } from "./job-enqueue.js";

export interface JobResult {
  outcome: "succeeded" | "failed" | "cancelled";
  phase: JobPhase | null;
  error: string | null;
  firmware: FirmwareImage[];
  esphomeVersion: string | null;
  /** A validate job's structured errors (kept with the job; empty when none). */
  validationErrors?: ValidationError[];
}

export interface LogChunk {
  jobId: number;
  offset: number;
  chunk: string;
  truncatedBefore: boolean;
}

export interface JobQueueEvents {
  job: [job: Job];
  log: [chunk: LogChunk];
  /** Ids of finished jobs deleted by retention. */
  pruned: [ids: number[]];
}

export class JobQueue extends EventEmitter<JobQueueEvents> {
  private readonly rows: JobRows;
  private readonly log: JobLog;
  private readonly history: JobHistory;

  constructor(
    private readonly db: Db,
    private readonly settings: () => Settings,
    private readonly clock: Clock = systemClock,
  ) {
    super();
    this.rows = new JobRows(db);
    this.log = new JobLog(db);
    this.history = new JobHistory(db, this.rows);
  }

  /** Queues a job, or updates the one already waiting for this device and action (`coalesced`). */
  enqueue(req: EnqueueRequest): { job: Job; coalesced: boolean } {
    const r = validateRequest(req);
    return this.run((t) => enqueueIn(t, this.db, this.rows, r, { maxAttempts: this.settings().maxAttempts }));
  }

  get(id: number): Job | undefined {
    return this.rows.job(id);
  }

  /** Adds fields owned by another module (content trust) to every Job the queue hands out. */
  annotateJobs(fn: (jobs: Job[]) => void): void {
    this.rows.annotate = fn;
  }

  /** Announces a job again after an annotation changed (emits "job"). */
  touch(id: number): void {
    const job = this.rows.job(id);
    if (job) this.emit("job", job);
  }

  /** Waiting jobs in dispatch order: priority, then first come first served. */
  queued(): Job[] {
    return this.rows.select("SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority_rank, id");
  }

  running(): Job[] {
    return this.rows.select("SELECT * FROM jobs WHERE state = 'running' ORDER BY id");
  }

  runningOn(workerId: string): Job[] {
    return this.rows.select("SELECT * FROM jobs WHERE state = 'running' AND worker_id = ? ORDER BY id", workerId);
  }

  hasRunningForDevice(deviceId: string): boolean {
    return this.rows.stmt("SELECT 1 FROM jobs WHERE state = 'running' AND device_id = ?").get(deviceId) !== undefined;
  }

  /** The fencing token of the job's current (or, once finished, last) assignment. */
  fenceOf(jobId: number): number | null {
    const r = this.rows.stmt("SELECT fence FROM jobs WHERE id = ?").get(jobId) as { fence: number | null } | undefined;
    return r?.fence ?? null;
  }

  /** queued → running on `workerId`, unless it is no longer queued or its device is already building. */
  assign(jobId: number, workerId: string, dispatchReason: string): { job: Job; fence: number } | undefined {
    const fence = this.run((t) => {
      const row = this.rows.row(jobId);
      if (row?.state !== "queued" || this.hasRunningForDevice(row.device_id)) return undefined;
      const fence = this.rows.nextFence();
      this.rows.update(jobId, {
        state: "running",
        worker_id: workerId,
        dispatch_reason: dispatchReason,
        attempts: row.attempts + 1,
        fence,
        started_at: t.now,
        lease_expires_at: t.now + this.settings().leaseMs,
        phase: null,
        progress: null,
        error: null,
        updated_at: t.now,
      });
      t.touch(jobId);
      return fence;
    });
    return fence === undefined ? undefined : { job: this.rows.job(jobId)!, fence };
  }

  renewLease(jobId: number, fence: number): boolean {
    const until = this.clock.now() + this.settings().leaseMs;
    return (
      this.rows
        .stmt(
          "UPDATE jobs SET lease_expires_at = MAX(COALESCE(lease_expires_at, 0), ?) WHERE id = ? AND state = 'running' AND fence = ?",
        )
        .run(until, jobId, fence).changes > 0
    );
  }

  /** At start-up: every running job gets at least `graceMs` for its worker to reconnect and renew. */
  extendAllLeases(graceMs: number): void {
    this.db
      .prepare("UPDATE jobs SET lease_expires_at = MAX(COALESCE(lease_expires_at, 0), ?) WHERE state = 'running'")
      .run(this.clock.now() + graceMs);
  }

  /** Records what this assignment really builds: the config digest sent and the ESPHome version. */
  recordInputs(
    jobId: number,
    fence: number,
    configHash: string,
    esphomeVersion: string | null,
    configCommit: string | null = null,
  ): boolean {
    return this.run((t) => {
      if (!this.holds(jobId, fence)) return false;
      this.rows.update(jobId, {
        config_hash: configHash,
        esphome_version: esphomeVersion,
        config_commit: configCommit,
        updated_at: t.now,
      });
      t.touch(jobId);
      return true;
    });
  }

  /** Records the phase (and progress when given; null clears it) the lease holder reports. */
  setPhase(jobId: number, fence: number, phase: JobPhase, progress?: number | null): boolean {
    return this.run((t) => {
      if (!this.holds(jobId, fence)) return false;
      const p = progress == null || !Number.isFinite(progress) ? null : Math.min(100, Math.max(0, progress));
      this.rows.update(jobId, { phase, ...(progress !== undefined ? { progress: p } : {}), updated_at: t.now });
      t.touch(jobId);
      return true;
    });
  }

  /**
   * Appends output. `fence` null is the sidecar's own note (always accepted for an existing job);
   * otherwise only the current lease holder may write. Emits "log", not "job".
   */
  appendLog(jobId: number, fence: number | null, chunk: string): boolean {
    return this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || (fence !== null && !(row.state === "running" && row.fence === fence))) return false;
      t.note(jobId, chunk);
      return true;
    });
  }

  readLog(jobId: number, offset = 0): LogRead {
    if (!this.rows.row(jobId)) throw new NotFoundError(`no job with id ${jobId}`);
    return this.log.read(jobId, Math.max(0, Math.floor(offset)), this.settings().logCapBytes);
  }

  /** The lease holder's result. Returns undefined (changing nothing) unless it still holds the job. */
  complete(jobId: number, fence: number, r: JobResult): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || !this.holds(jobId, fence)) return false;
      // A build that finished despite a cancel keeps its result; anything else after a cancel request was the cancel.
      const state = r.outcome === "succeeded" ? "succeeded" : row.cancel_requested ? "cancelled" : r.outcome;
      finish(t, this.rows, row, state, {
        phase: r.phase,
        error: r.error ?? (state === "cancelled" ? "cancelled" : null),
        esphome_version: r.esphomeVersion ?? row.esphome_version,
        validation_errors: JSON.stringify(r.validationErrors ?? []),
      });
      recordFirmware(this.db, jobId, r.firmware, t.now);
      if (state === "succeeded") recordAffinity(this.db, row, t.now);
      return true;
    });
    return done ? this.rows.job(jobId) : undefined;
  }

  /** The lease holder hands the job back: queued again (or failed when out of attempts; cancelled if asked). */
  release(jobId: number, fence: number, reason: string): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || !this.holds(jobId, fence)) return false;
      if (row.cancel_requested) {
        t.note(jobId, `\n[forge] ${reason}; the job was cancelled\n`);
        finish(t, this.rows, row, "cancelled", { error: "cancelled" });
      } else requeueOrFail(t, this.rows, row, reason);
      return true;
    });
    return done ? this.rows.job(jobId) : undefined;
  }

  requestCancel(jobId: number, reason = "cancelled by request"): Job {
    this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row) throw new NotFoundError(`no job with id ${jobId}`);
      if (!cancelRow(t, this.rows, row, reason))
        throw new ConflictError(`job ${jobId} has already finished (${row.state})`);
    });
    return this.rows.job(jobId)!;
  }

  /** Cancels every waiting or running job of a device (e.g. its config file was removed). */
  cancelAllForDevice(deviceId: string, reason = "the device was removed"): Job[] {
    const ids = this.run((t) => {
      const rows = this.db
        .prepare("SELECT * FROM jobs WHERE device_id = ? AND state IN ('queued', 'blocked', 'running') ORDER BY id")
        .all(deviceId) as JobRow[];
      for (const row of rows) cancelRow(t, this.rows, row, reason);
      return rows.map((r) => r.id);
    });
    return this.rows.toJobs(ids.map((id) => this.rows.row(id)!));
  }

  /** Running jobs whose lease lapsed: cancelled if asked, else requeued or failed (see requeueOrFail). */
  expireLeases(): Job[] {
    const ids = this.run((t) => expireLeases(t, this.rows));
    return this.rows.toJobs(ids.map((id) => this.rows.row(id)!));
  }

  /** Running jobs past jobTimeoutMs end `timed_out`; the caller tells their workers to stop. */
  expireTimeouts(): Job[] {
    const ids = this.run((t) => expireTimeouts(t, this.rows, this.settings().jobTimeoutMs));
    return this.rows.toJobs(ids.map((id) => this.rows.row(id)!));
  }

  /** Queues a finished job again (same device, action, priority and parameters). */
  retry(jobId: number, source?: string): { job: Job; coalesced: boolean } {
    return this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row) throw new NotFoundError(`no job with id ${jobId}`);
      if (!TERMINAL_JOB_STATES.includes(row.state))
        throw new ConflictError(`job ${jobId} is still ${row.state}; only finished jobs can be retried`);
      const req = retryRequest(row, source);
      const out = enqueueIn(t, this.db, this.rows, req, {
        keepWaitingHash: true,
        maxAttempts: this.settings().maxAttempts,
      });
      t.note(out.job.id, `[forge] retry of job ${jobId}\n`);
      return out;
    });
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

  affinity(deviceId: string): Affinity | undefined {
    return this.history.affinity(deviceId);
  }

  /** The whole device → warm worker table (one query for a dispatch pass). */
  affinities(): Map<string, Affinity> {
    return this.history.affinities();
  }

  /** Deletes finished jobs older than historyRetentionDays (0 keeps everything); returns how many. */
  pruneHistory(): number {
    const ids = this.history.prune(this.settings().historyRetentionDays, this.clock.now());
    if (ids.length) this.emit("pruned", ids);
    return ids.length;
  }

  private holds(jobId: number, fence: number): boolean {
    const row = this.rows.row(jobId);
    return row?.state === "running" && row.fence === fence;
  }

  /** Runs `fn` in one transaction, then emits the log chunks and job states it produced. */
  private run<T>(fn: (t: Tx) => T): T {
    const touched = new Set<number>();
    const logs: LogChunk[] = [];
    const cap = this.settings().logCapBytes;
    const t: Tx = {
      now: this.clock.now(),
      touch: (id) => touched.add(id),
      note: (id, text) => {
        const a = this.log.append(id, text, cap);
        if (a) logs.push({ jobId: id, ...a });
      },
    };
    const result = this.db.transaction(() => fn(t))();
    // Log first: a listener that ends a tail on a terminal job state must have seen the last lines.
    for (const e of logs) this.emit("log", e);
    for (const id of touched) {
      const job = this.rows.job(id);
      if (job) this.emit("job", job);
    }
    return result;
  }
}
