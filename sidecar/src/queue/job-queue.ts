// The durable job queue. SQLite is the truth: every change is one transaction, and "job" / "log"
// events go out only after it commits. A running job is held by one worker under a random fencing
// token; every change a worker asks for must come from that worker with that token (`heldBy`), so a
// worker that lost the job, or never had it, can no longer touch it.
import {
  TERMINAL_JOB_STATES,
  type FirmwareImage,
  type Job,
  type JobPhase,
  type LogChunk,
  type Settings,
  type ValidationError,
} from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import { systemClock, type Clock } from "../util/clock.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import { enqueueIn, retryIn, validateRequest, type EnqueueRequest } from "./job-enqueue.js";
import { JobHistory, pruneByCount } from "./job-history.js";
import { JobLog, type LogRead } from "./job-log.js";
import { heldBy, newFence, renewLeases, requeueUnlisted, type Holder, type JobRef } from "./job-leases.js";
import { buildToFlash, judgeReady } from "./flash-steps.js";
import { FlashWaits } from "./flash-waits.js";
import { RoutableJobs } from "./routable-jobs.js";
import { recordAffinity, recordFirmware } from "./job-results.js";
import { JobReads } from "./job-reads.js";
import { JobRows, type JobRow } from "./job-rows.js";
import { gapMarker, LogSequence } from "./log-sequence.js";
import { cancelRow, finish, requeueOrFail, type Tx } from "./job-transitions.js";
import { expireLeases, expireTimeouts } from "./lease-sweeper.js";

export { ConflictError, NotFoundError } from "../util/errors.js";
export type { EnqueueRequest } from "./job-enqueue.js";
export type { Holder, JobRef } from "./job-leases.js";
export type { WaitJudge } from "./flash-steps.js";
export type { JobQueueEvents } from "./job-reads.js";
export type { RoutableRow } from "./routable-jobs.js";

export interface JobResult {
  outcome: "succeeded" | "failed" | "cancelled";
  phase: JobPhase | null;
  error: string | null;
  firmware: FirmwareImage[];
  esphomeVersion: string | null;
  /** A validate job's structured errors (kept with the job; empty when none). */
  validationErrors?: ValidationError[];
}

/** The queue: every change to a job, in one transaction each, announced after the commit (reads: job-reads.ts). */
export class JobQueue extends JobReads {
  private readonly log: JobLog;
  private readonly logSeq: LogSequence;
  /** Flashes waiting for their device (flash-waits.ts). */
  readonly waits: FlashWaits;
  /** Jobs waiting for a worker (queued or blocked) as routing judges them (routable-jobs.ts). */
  readonly routable: RoutableJobs;

  constructor(
    private readonly db: Db,
    private readonly settings: () => Settings,
    private readonly clock: Clock = systemClock,
  ) {
    const rows = new JobRows(db);
    super(rows, new JobHistory(db, rows));
    this.log = new JobLog(db);
    this.logSeq = new LogSequence(db);
    this.waits = new FlashWaits(this.rows, (fn) => this.run(fn), settings);
    this.routable = new RoutableJobs(this.rows, (fn) => this.run(fn));
  }

  /** Queues a job, or updates the one already waiting for this device and action (`coalesced`). */
  enqueue(req: EnqueueRequest): { job: Job; coalesced: boolean } {
    const r = validateRequest(req);
    return this.run((t) => {
      const out = enqueueIn(t, this.db, this.rows, r, { maxAttempts: this.settings().maxAttempts });
      // An upload is a flash step from the start: its device away, it waits (a repeat may end the wait).
      return this.judged(t, out);
    });
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

  /** queued → running on `workerId`, unless it is no longer queued or its device is already building. */
  assign(
    jobId: number,
    workerId: string,
    dispatchReason: string,
  ): { job: Job; fence: string; holder: Holder } | undefined {
    const fence = this.run((t) => {
      const row = this.rows.row(jobId);
      if (row?.state !== "queued" || this.hasRunningForDevice(row.device_id)) return undefined;
      const fence = newFence();
      this.rows.update(jobId, {
        state: "running",
        worker_id: workerId,
        dispatch_reason: dispatchReason,
        attempts: row.attempts + 1,
        lease_fence: fence,
        // A compile_upload's flash step continues the job its build step started: one duration for both.
        started_at: row.step === "flash" && row.started_at != null ? row.started_at : t.now,
        lease_expires_at: t.now + this.settings().leaseMs,
        phase: null,
        progress: null,
        error: null,
        updated_at: t.now,
      });
      t.touch(jobId);
      return fence;
    });
    return fence === undefined ? undefined : { job: this.rows.job(jobId)!, fence, holder: { workerId, fence } };
  }

  renewLease(jobId: number, holder: Holder): boolean {
    return this.renewLeases(holder.workerId, [{ jobId, fence: holder.fence }]).held.length === 1;
  }

  /** A heartbeat: renews every listed job the worker holds, in one transaction; names the ones it does not. */
  renewLeases(workerId: string, refs: readonly JobRef[]): { held: JobRef[]; foreign: JobRef[] } {
    return renewLeases(this.db, this.rows, workerId, refs, this.clock.now() + this.settings().leaseMs);
  }

  /**
   * A worker (re)connects naming the jobs it still has: those it holds carry on (lease renewed), the
   * rest it must drop, and jobs it holds here but did not name return to the queue (see requeueUnlisted).
   */
  reconnect(
    workerId: string,
    listed: readonly JobRef[],
  ): { continueJobs: JobRef[]; abandonJobs: JobRef[]; lost: Job[] } {
    const { held, foreign } = this.renewLeases(workerId, listed);
    const lost = this.run((t) => requeueUnlisted(t, this.rows, workerId, new Set(held.map((r) => r.jobId))));
    return { continueJobs: held, abandonJobs: foreign, lost: this.rows.toJobs(lost.map((id) => this.rows.row(id)!)) };
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
    holder: Holder,
    configHash: string | null,
    esphomeVersion: string | null,
    /** `flashSha256`: an upload's image, chosen at its first dispatch. */
    more: { configCommit?: string | null; flashSha256?: string } = {},
  ): boolean {
    return this.run((t) => {
      if (!this.holds(jobId, holder)) return false;
      this.rows.update(jobId, {
        config_hash: configHash,
        esphome_version: esphomeVersion,
        config_commit: more.configCommit ?? null,
        ...(more.flashSha256 ? { flash_sha256: more.flashSha256 } : {}),
        updated_at: t.now,
      });
      t.touch(jobId);
      return true;
    });
  }

  /** Records the phase (and progress when given; null clears it) the lease holder reports. */
  setPhase(jobId: number, holder: Holder, phase: JobPhase, progress?: number | null): boolean {
    return this.run((t) => {
      if (!this.holds(jobId, holder)) return false;
      const p = progress == null || !Number.isFinite(progress) ? null : Math.min(100, Math.max(0, progress));
      this.rows.update(jobId, { phase, ...(progress !== undefined ? { progress: p } : {}), updated_at: t.now });
      t.touch(jobId);
      return true;
    });
  }

  /**
   * Appends output. `holder` null is the sidecar's own note (always accepted for an existing job);
   * otherwise only the worker holding the job may write. Emits "log", not "job".
   */
  appendLog(jobId: number, holder: Holder | null, chunk: string): boolean {
    return this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || (holder !== null && !heldBy(row, holder))) return false;
      t.note(jobId, chunk);
      return true;
    });
  }

  /**
   * A numbered chunk from the lease holder (see log-sequence.ts). `seq` is the last chunk stored
   * afterwards, which the worker is told (`log_ack`); `stale` when the worker no longer holds the job.
   */
  appendWorkerLog(
    jobId: number,
    holder: Holder,
    chunk: { seq: number; keptFrom: number; text: string },
  ): { status: "stored" | "duplicate" | "ahead" | "stale"; seq: number } {
    return this.run((t) => {
      if (!this.holds(jobId, holder)) return { status: "stale" as const, seq: 0 };
      const v = this.logSeq.accept(jobId, holder.fence, chunk.seq, chunk.keptFrom);
      if (v.kind !== "duplicate" && v.lost > 0) t.note(jobId, gapMarker(v.lost));
      if (v.kind === "store") t.note(jobId, chunk.text);
      const status = v.kind === "store" ? "stored" : v.kind;
      return { status, seq: this.logSeq.last(jobId, holder.fence) };
    });
  }

  /** The last numbered chunk stored for this assignment (what a refusal tells the worker to resend after). */
  lastLogSeq(jobId: number, fence: string): number {
    return this.logSeq.last(jobId, fence);
  }

  readLog(jobId: number, offset = 0): LogRead {
    if (!this.rows.row(jobId)) throw new NotFoundError(`no job with id ${jobId}`);
    return this.log.read(jobId, Math.max(0, Math.floor(offset)), this.settings().logCapBytes);
  }

  /** The holder's result. Returns undefined (changing nothing) unless it still holds the job. */
  complete(jobId: number, holder: Holder, r: JobResult): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || !heldBy(row, holder)) return false;
      // A build that finished despite a cancel keeps its result; anything else after a cancel request was the cancel.
      const state = r.outcome === "succeeded" ? "succeeded" : row.cancel_requested ? "cancelled" : r.outcome;
      finish(t, this.rows, row, state, {
        phase: r.phase,
        error: r.error ?? (state === "cancelled" ? "cancelled" : null),
        // A flash step's image was built earlier: the version the flasher's own CLI reports is not the image's.
        esphome_version: row.step === "flash" ? row.esphome_version : (r.esphomeVersion ?? row.esphome_version),
        validation_errors: JSON.stringify(r.validationErrors ?? []),
      });
      // A flash step's images are the build's (recorded when it was approved): a flasher sends none.
      if (row.step !== "flash" || row.action === "upload") recordFirmware(this.db, jobId, r.firmware, t.now);
      if (state === "succeeded" && row.step !== "flash") recordAffinity(this.db, row, t.now);
      return true;
    });
    return done ? this.rows.job(jobId) : undefined;
  }

  /**
   * compile_upload: the holder's build was received and approved. The job keeps its images, names the
   * approved one to flash, and goes back to the queue for a flasher (never the builder): one job, two
   * steps. Its device away: the flash step waits for it (`waiting_for_device`, flash-steps.ts).
   */
  toFlashStep(
    jobId: number,
    holder: Holder,
    r: Pick<JobResult, "firmware" | "esphomeVersion">,
    sha: string,
  ): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || !heldBy(row, holder) || row.action !== "compile_upload") return false;
      buildToFlash(t, this.db, this.rows, row, holder, r, sha, this.waits.policy());
      return true;
    });
    return done ? this.rows.job(jobId) : undefined;
  }

  /**
   * The holder hands the job back: queued again, preferably for another worker (or failed when out of
   * attempts; cancelled if asked). Handed back before it started (no free slot, shutting down), it costs
   * no attempt: that was the sidecar's mistake. `blame: false` (the sidecar's own restart) keeps the worker.
   */
  release(jobId: number, holder: Holder, reason: string, blame = true): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || !heldBy(row, holder)) return false;
      if (row.cancel_requested) {
        t.note(jobId, `\n[forge] ${reason}; the job was cancelled\n`);
        finish(t, this.rows, row, "cancelled", { error: "cancelled" });
      } else {
        const refund = row.phase === null;
        const why = refund ? `${reason} before starting it` : reason;
        requeueOrFail(t, this.rows, row, why, { lostBy: blame ? holder.workerId : null, refund });
      }
      return true;
    });
    return done ? this.rows.job(jobId) : undefined;
  }

  /**
   * At start, after the database lost its latest commits: a job the state anchor shows flashing or
   * flashed ends `failed` with the reason, so it is never dispatched (and flashed) again.
   */
  closeLost(jobId: number, reason: string): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || TERMINAL_JOB_STATES.includes(row.state)) return false;
      t.note(jobId, `\n\x1b[31m[forge] ${reason}\x1b[0m\n`);
      // Phase "dispatch": the sidecar ended it, no worker reported (an open flash becomes "interrupted").
      finish(t, this.rows, row, "failed", { phase: "dispatch", error: reason });
      return true;
    });
    return done ? this.rows.job(jobId) : undefined;
  }

  /**
   * A running job whose flash outcome is on record although its own end is not (the database lost its
   * latest commits, e.g. a deleted -wal after kill -9): it ends as that outcome says, never to run again.
   */
  closeFromFlashRecord(jobId: number, outcome: "succeeded" | "failed", reason: string): Job | undefined {
    const done = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || TERMINAL_JOB_STATES.includes(row.state)) return false;
      t.note(jobId, `\n[forge] ${reason}\n`);
      finish(t, this.rows, row, outcome, outcome === "failed" ? { phase: "upload", error: reason } : {});
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
        .prepare(
          "SELECT * FROM jobs WHERE device_id = ? AND state IN ('queued', 'blocked', 'waiting_for_device', 'running') ORDER BY id",
        )
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
  retry(
    jobId: number,
    source?: string,
    /** `reflash: false`: recompile even though the build was approved (`why` goes to the log); `esphomeVersion`: resolved now. */
    opts: { reflash?: boolean; why?: string; esphomeVersion?: string | null } = {},
  ): { job: Job; coalesced: boolean } {
    return this.run((t) =>
      this.judged(t, retryIn(t, this.db, this.rows, jobId, source, opts, this.settings().maxAttempts)),
    );
  }

  /**
   * Deletes finished jobs older than historyRetentionDays (0 keeps everything) and the oldest beyond
   * historyMaxJobs (see pruneByCount); returns how many.
   */
  pruneHistory(): number {
    const ids = [
      ...this.history.prune(this.settings().historyRetentionDays, this.clock.now()),
      ...pruneByCount(this.db, this.settings().historyMaxJobs),
    ];
    if (ids.length) this.emit("pruned", ids);
    return ids.length;
  }

  /** A flash step just queued (or coalesced into one that waits): it waits while its device is away. */
  private judged(t: Tx, out: { job: Job; coalesced: boolean }): { job: Job; coalesced: boolean } {
    const row = this.rows.row(out.job.id);
    if (row) judgeReady(t, this.rows, row, this.waits.policy());
    return { ...out, job: this.rows.job(out.job.id)! };
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
