// Every flash on record before and after it happens. The intent is written — in the database, the
// trust log and the state anchor outside the database — before the worker may flash (the approval of a
// compile_upload, the assignment of an upload); the outcome when the job ends. An assignment that ends
// without a result (lease lapsed, worker lost, sidecar restarted, timed out) closes as `interrupted`:
// nobody knows whether the device took the image, so the next flash of that device says it is
// re-flashing after an interrupted attempt, in the job log and in the trust log.
import { TERMINAL_JOB_STATES, type Job } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { TrustEngine } from "../trust/index.js";

export type FlashOutcome = "succeeded" | "failed" | "cancelled" | "interrupted";

/** One row of the ledger, as the state anchor keeps the newest ones. */
export interface FlashRecord {
  id: number;
  jobId: number;
  fence: string;
  attempt: number;
  deviceId: string;
  stage: "intent" | "outcome";
  outcome: FlashOutcome | null;
  firmwareSha256: string | null;
  workerId: string | null;
  detail: string | null;
  logIndex: number | null;
  at: number;
}

export interface FlashLedgerOptions {
  db: Db;
  queue: JobQueue;
  /** Content trust's log (asked at each record: the engine is created after the ledger). */
  trust?: () => Pick<TrustEngine, "recordOtaIntent" | "recordOtaFailure" | "recordOta" | "evaluate"> | undefined;
  /** Puts what was just recorded into the state anchor outside the database; rejects when it cannot. */
  persist: () => Promise<void>;
  /** Told about a write that failed for lack of space (durability/disk-state.ts); true when it was that. */
  disk?: { report(err: unknown, what?: string): boolean };
  now?: () => number;
}

const COLUMNS = `id, job_id AS jobId, fence, attempt, device_id AS deviceId, stage, outcome,
  firmware_sha256 AS firmwareSha256, worker_id AS workerId, detail, log_index AS logIndex, at`;

export class FlashLedger {
  /** Intents without an outcome, by `${jobId}:${fence}`. */
  private readonly open = new Map<string, FlashRecord>();
  private readonly now: () => number;

  constructor(private readonly o: FlashLedgerOptions) {
    this.now = o.now ?? Date.now;
    this.loadOpen();
  }

  /**
   * Before the worker may flash: records the intent, durably, in the database and the state anchor.
   * Rejects when it cannot be recorded (e.g. a full disk): then nothing may flash. Asking again for the
   * same assignment (a repeated approval request) records nothing new.
   */
  async intent(job: Job, fence: string, firmwareSha256: string | null, workerId: string): Promise<void> {
    if (this.open.has(key(job.id, fence))) return this.o.persist();
    this.reconcile(job.deviceId); // an earlier assignment that ended meanwhile is closed first
    const prior = this.o.db
      .prepare(
        `SELECT ${COLUMNS} FROM flash_records WHERE device_id = ? AND stage = 'outcome' ORDER BY id DESC LIMIT 1`,
      )
      .get(job.deviceId) as FlashRecord | undefined;
    const interrupted = prior?.outcome === "interrupted" ? prior : null;
    const detail = interrupted
      ? `re-flash after the interrupted flash of job ${interrupted.jobId} attempt ${interrupted.attempt}`
      : null;
    const record = this.durably(() => {
      const rec = this.insert(job, fence, "intent", null, firmwareSha256, workerId, detail);
      const afterInterrupted = interrupted ? { jobId: interrupted.jobId, attempt: interrupted.attempt } : null;
      const at = { jobId: job.id, attempt: job.attempts, workerId, afterInterrupted };
      return this.setLogIndex(rec, this.o.trust?.()?.recordOtaIntent(job.deviceId, firmwareSha256, at) ?? null);
    });
    this.open.set(key(job.id, fence), record);
    await this.o.persist();
    const sha = firmwareSha256 ? `sha256 ${firmwareSha256.slice(0, 12)}…` : "an image the sidecar did not receive";
    const entry = record.logIndex === null ? "" : `, trust log entry ${record.logIndex}`;
    this.o.queue.appendLog(
      job.id,
      null,
      `\n[forge] flash of ${sha} recorded before it starts (attempt ${job.attempts}${entry})\n`,
    );
    if (interrupted) {
      this.o.queue.appendLog(
        job.id,
        null,
        `\x1b[33m[forge] re-flashing after an interrupted attempt: the flash of job ${interrupted.jobId} attempt ` +
          `${interrupted.attempt} (sha256 ${(interrupted.firmwareSha256 ?? "?").slice(0, 12)}…, found interrupted at ` +
          `${new Date(interrupted.at).toISOString()}) never reported how it ended; whether the device took it is ` +
          `unknown (no presence information), so this attempt flashes it again\x1b[0m\n`,
      );
    }
  }

  /** A result arrived for the job: its open intent closes with the job's outcome. Never throws for a full disk. */
  resultArrived(job: Job): void {
    const intent = this.open.get(key(job.id, this.o.queue.fenceOf(job.id) ?? ""));
    if (!intent) return;
    this.closeSafely(intent, outcomeOf(job), job.error ?? job.state);
  }

  /**
   * Intents whose assignment ended without (or before recording) a result: a finished job's outcome,
   * else `interrupted`. Runs at start, with each lease sweep, and before a device's next intent.
   */
  reconcile(deviceId?: string): void {
    for (const intent of [...this.open.values()]) {
      if (deviceId !== undefined && intent.deviceId !== deviceId) continue;
      const job = this.o.queue.get(intent.jobId);
      const sameAssignment = job !== undefined && this.o.queue.fenceOf(job.id) === intent.fence;
      if (sameAssignment && job.state === "running") continue;
      const finished = sameAssignment && TERMINAL_JOB_STATES.includes(job.state);
      const outcome = finished ? outcomeOf(job) : "interrupted";
      const why = finished ? (job.error ?? job.state) : "the assignment ended without a result from the worker";
      this.closeSafely(intent, outcome, why);
    }
  }

  /** The recorded outcome of this assignment's flash (job and fence), if one is on record. */
  outcomeOf(jobId: number, fence: string): FlashOutcome | null {
    const r = this.o.db
      .prepare(
        "SELECT outcome FROM flash_records WHERE job_id = ? AND fence = ? AND stage = 'outcome' ORDER BY id DESC LIMIT 1",
      )
      .get(jobId, fence) as { outcome: FlashOutcome } | undefined;
    return r?.outcome ?? null;
  }

  /** Highest record id ever handed out (monotonic; the state anchor compares it). */
  counter(): number {
    const r = this.o.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'flash_records'").get() as
      { seq: number } | undefined;
    return r?.seq ?? 0;
  }

  recent(limit: number): FlashRecord[] {
    return this.o.db
      .prepare(`SELECT ${COLUMNS} FROM flash_records ORDER BY id DESC LIMIT ?`)
      .all(limit) as FlashRecord[];
  }

  /** Puts back records the database lost (from the state anchor); returns those it added. */
  restore(records: FlashRecord[]): FlashRecord[] {
    const add = this.o.db.prepare(
      `INSERT OR IGNORE INTO flash_records (id, job_id, fence, attempt, device_id, stage, outcome, firmware_sha256,
       worker_id, detail, log_index, at) VALUES (@id, @jobId, @fence, @attempt, @deviceId, @stage, @outcome,
       @firmwareSha256, @workerId, @detail, @logIndex, @at)`,
    );
    const added = this.o.db.transaction(() => records.filter((r) => add.run(r).changes > 0))();
    this.loadOpen();
    return added;
  }

  private loadOpen(): void {
    const rows = this.o.db
      .prepare(
        `SELECT ${COLUMNS} FROM flash_records i WHERE stage = 'intent' AND NOT EXISTS
         (SELECT 1 FROM flash_records o WHERE o.stage = 'outcome' AND o.job_id = i.job_id AND o.fence = i.fence)`,
      )
      .all() as FlashRecord[];
    this.open.clear();
    for (const r of rows) this.open.set(key(r.jobId, r.fence), r);
  }

  /** Records of jobs that retention deleted. */
  forget(jobIds: number[]): void {
    const del = this.o.db.prepare("DELETE FROM flash_records WHERE job_id = ?");
    this.o.db.transaction(() => jobIds.forEach((id) => del.run(id)))();
  }

  private closeSafely(intent: FlashRecord, outcome: FlashOutcome, reason: string): void {
    try {
      this.close(intent, outcome, reason);
    } catch (err) {
      // Stays open: the next reconcile closes it from the job's state once the disk has room.
      if (!this.o.disk?.report(err, `recording the outcome of job ${intent.jobId}'s flash`)) throw err;
    }
  }

  private close(intent: FlashRecord, outcome: FlashOutcome, reason: string): void {
    const sha = intent.firmwareSha256;
    const job = { id: intent.jobId, deviceId: intent.deviceId, attempts: intent.attempt };
    this.durably(() => {
      const rec = this.insert(job, intent.fence, "outcome", outcome, sha, intent.workerId, reason.slice(0, 500));
      const trust = this.o.trust?.();
      let index: number | null = null;
      if (trust && sha && outcome === "succeeded") {
        index = trust.recordOta(intent.deviceId, sha, trust.evaluate(intent.deviceId, { sha256: sha }).verdict, job.id);
      } else if (trust && outcome !== "succeeded") {
        const d = { jobId: job.id, attempt: intent.attempt, outcome, reason: reason.slice(0, 500) };
        index = trust.recordOtaFailure(intent.deviceId, sha, d);
      }
      this.setLogIndex(rec, index);
    });
    this.open.delete(key(intent.jobId, intent.fence));
    if (outcome === "interrupted") {
      this.o.queue.appendLog(
        intent.jobId,
        null,
        `\n\x1b[33m[forge] the flash of attempt ${intent.attempt} (sha256 ${(sha ?? "?").slice(0, 12)}…) was interrupted: ` +
          `${reason}; whether the device took it is unknown\x1b[0m\n`,
      );
    }
    this.o.persist().catch((err: unknown) => {
      // The record is in the database; the anchor catches up with its next write.
      this.o.disk?.report(err, "writing the state anchor");
    });
  }

  /** One transaction whose commit syncs the WAL (synchronous=FULL): a flash record survives a power cut. */
  private durably<T>(fn: () => T): T {
    if (this.o.db.inTransaction) return this.o.db.transaction(fn)();
    this.o.db.pragma("synchronous = FULL");
    try {
      return this.o.db.transaction(fn)();
    } finally {
      this.o.db.pragma("synchronous = NORMAL");
    }
  }

  private insert(
    job: { id: number; deviceId: string; attempts: number },
    fence: string,
    stage: FlashRecord["stage"],
    outcome: FlashOutcome | null,
    firmwareSha256: string | null,
    workerId: string | null,
    detail: string | null,
  ): FlashRecord {
    const rec = {
      jobId: job.id,
      fence,
      attempt: job.attempts,
      deviceId: job.deviceId,
      stage,
      outcome,
      firmwareSha256,
      workerId,
      detail,
      logIndex: null,
      at: this.now(),
    };
    const info = this.o.db
      .prepare(
        `INSERT INTO flash_records (job_id, fence, attempt, device_id, stage, outcome, firmware_sha256, worker_id,
         detail, at) VALUES (@jobId, @fence, @attempt, @deviceId, @stage, @outcome, @firmwareSha256, @workerId,
         @detail, @at)`,
      )
      .run(rec);
    return { id: Number(info.lastInsertRowid), ...rec };
  }

  private setLogIndex(rec: FlashRecord, index: number | null): FlashRecord {
    if (index !== null) this.o.db.prepare("UPDATE flash_records SET log_index = ? WHERE id = ?").run(index, rec.id);
    return { ...rec, logIndex: index };
  }
}

function key(jobId: number, fence: string): string {
  return `${jobId}:${fence}`;
}

/** What a job's end says about its flash. An end the sidecar decided (no result) leaves it unknown. */
function outcomeOf(job: Job): FlashOutcome {
  if (job.state === "succeeded") return "succeeded";
  // Its OTA failed and it now waits for the device (queue/flash-steps.ts): this attempt's flash failed.
  if (job.state === "waiting_for_device") return "failed";
  if (!TERMINAL_JOB_STATES.includes(job.state) || job.state === "timed_out" || job.phase === "dispatch")
    return "interrupted";
  if (job.state === "cancelled") return job.phase === "upload" ? "interrupted" : "cancelled";
  return "failed";
}
