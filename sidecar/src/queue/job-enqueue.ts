// Adding work to the queue: validation, and coalescing into the job already waiting for the same
// device and action.
import {
  DeviceId,
  JobAction,
  JobParams,
  JobPriority,
  TERMINAL_JOB_STATES,
  type Job,
  type JobStep,
} from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import { cachedStatement } from "../db/statements.js";
import { ConflictError, NotFoundError, ValidationError } from "../util/errors.js";
import { priorityRank, type JobRow, type JobRows } from "./job-rows.js";
import type { Tx } from "./job-transitions.js";

export interface EnqueueRequest {
  deviceId: string;
  action: JobAction;
  priority: JobPriority;
  params: JobParams;
  source: string;
  /** undefined keeps what a coalesced job has; null clears it. */
  configHash?: string | null;
  esphomeVersion?: string | null;
}

export interface EnqueueOptions {
  /** Coalescing keeps the waiting job's config hash and version (a retry's are older). */
  keepWaitingHash?: boolean;
  maxAttempts: number;
}

/**
 * Inside the caller's transaction: updates the waiting job for (device, action) with the newest
 * parameters — priority raised, never lowered — or inserts a new one.
 */
export function enqueueIn(
  t: Tx,
  db: Db,
  rows: JobRows,
  req: EnqueueRequest,
  o: EnqueueOptions,
): { job: Job; coalesced: boolean } {
  const rank = priorityRank(req.priority);
  const existing = rows.waitingFor(req.deviceId, req.action);
  if (existing) {
    const keep = o.keepWaitingHash === true;
    rows.update(existing.id, {
      params: JSON.stringify(req.params),
      source: req.source,
      ...(rank < existing.priority_rank ? { priority: req.priority, priority_rank: rank } : {}),
      ...(req.configHash !== undefined && !keep ? { config_hash: req.configHash } : {}),
      ...(req.esphomeVersion !== undefined && !keep ? { esphome_version: req.esphomeVersion } : {}),
      updated_at: t.now,
    });
    t.touch(existing.id);
    return { job: rows.job(existing.id)!, coalesced: true };
  }
  const info = cachedStatement(
    db,
    `INSERT INTO jobs (device_id, action, state, priority, priority_rank, params, source, max_attempts,
                         created_at, updated_at, config_hash, esphome_version)
       VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    req.deviceId,
    req.action,
    req.priority,
    rank,
    JSON.stringify(req.params),
    req.source,
    o.maxAttempts,
    t.now,
    t.now,
    req.configHash ?? null,
    req.esphomeVersion ?? null,
  );
  const id = Number(info.lastInsertRowid);
  const step = firstStep(req.action);
  if (step) rows.update(id, { step });
  t.touch(id);
  return { job: rows.job(id)!, coalesced: false };
}

/** A flashing job starts with its build (compile_upload) or is one flash (upload); others have no steps. */
export function firstStep(action: JobAction): JobStep | null {
  return action === "compile_upload" ? "build" : action === "upload" ? "flash" : null;
}

/** Checks a request against the shared schemas; throws ValidationError naming the bad field. */
export function validateRequest(req: EnqueueRequest): EnqueueRequest {
  const check = <T>(
    what: string,
    r: { success: true; data: T } | { success: false; error: { issues: { message: string }[] } },
  ): T => {
    if (!r.success) throw new ValidationError(`invalid ${what}: ${r.error.issues.map((i) => i.message).join("; ")}`);
    return r.data;
  };
  check("device id", DeviceId.safeParse(req.deviceId));
  check("action", JobAction.safeParse(req.action));
  check("priority", JobPriority.safeParse(req.priority));
  const params = check("job parameters", JobParams.safeParse(req.params ?? {}));
  if (typeof req.source !== "string" || req.source.length === 0)
    throw new ValidationError("invalid source: must be a non-empty string");
  return { ...req, params };
}

/** The request that repeats a finished job: same device, action, priority and parameters. */
export function retryRequest(row: JobRow, source?: string): EnqueueRequest {
  return {
    deviceId: row.device_id,
    action: row.action,
    priority: row.priority,
    params: JSON.parse(row.params) as JobParams,
    source: source ?? row.source,
    configHash: row.config_hash,
    esphomeVersion: row.esphome_version,
  };
}

/**
 * Retry of a job whose build was approved but whose flash failed: a new job in its `flash` step naming
 * the same approved image (its images copied), so a flasher sends those bytes again without a recompile.
 * A flash of that device and action already waiting (queued, blocked, or for its device) absorbs the retry.
 */
export function requeueFlash(
  t: Tx,
  db: Db,
  rows: JobRows,
  row: JobRow,
  req: EnqueueRequest,
  maxAttempts: number,
): { job: Job; coalesced: boolean } {
  const waiting = rows
    .stmt(
      "SELECT id FROM jobs WHERE device_id = ? AND action = ? AND step IS 'flash' AND state IN ('queued', 'blocked', 'waiting_for_device')",
    )
    .get(row.device_id, row.action) as { id: number } | undefined;
  if (waiting) return { job: rows.job(waiting.id)!, coalesced: true };
  const info = cachedStatement(
    db,
    `INSERT INTO jobs (device_id, action, state, priority, priority_rank, params, source, max_attempts,
                         created_at, updated_at, config_hash, esphome_version, config_commit, step, flash_sha256,
                         built_by)
       VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'flash', ?, ?)`,
  ).run(
    row.device_id,
    row.action,
    req.priority,
    priorityRank(req.priority),
    JSON.stringify(req.params),
    req.source,
    maxAttempts,
    t.now,
    t.now,
    row.config_hash,
    row.esphome_version,
    row.config_commit,
    row.flash_sha256,
    row.built_by,
  );
  const id = Number(info.lastInsertRowid);
  cachedStatement(
    db,
    "INSERT INTO job_firmware (job_id, seq, name, sha256, size, kind) SELECT ?, seq, name, sha256, size, kind FROM job_firmware WHERE job_id = ?",
  ).run(id, row.id);
  t.touch(id);
  return { job: rows.job(id)!, coalesced: false };
}

/**
 * Queues a finished job again (same device, action, priority and parameters). A job whose build was
 * approved and only the flash failed flashes that same image again (no recompile), unless `reflash:
 * false` (recompile; `why` goes to the log). `esphomeVersion`: the version resolved now.
 */
export function retryIn(
  t: Tx,
  db: Db,
  rows: JobRows,
  jobId: number,
  source: string | undefined,
  opts: { reflash?: boolean; why?: string; esphomeVersion?: string | null },
  maxAttempts: number,
): { job: Job; coalesced: boolean } {
  const row = rows.row(jobId);
  if (!row) throw new NotFoundError(`no job with id ${jobId}`);
  if (!TERMINAL_JOB_STATES.includes(row.state))
    throw new ConflictError(`job ${jobId} is still ${row.state}; only finished jobs can be retried`);
  const req = {
    ...retryRequest(row, source),
    ...(opts.esphomeVersion !== undefined ? { esphomeVersion: opts.esphomeVersion } : {}),
  };
  if (opts.reflash !== false && row.step === "flash" && row.flash_sha256 !== null) {
    const out = requeueFlash(t, db, rows, row, req, maxAttempts);
    t.note(
      out.job.id,
      `[forge] retry of job ${jobId}: flashing its approved image again (sha256 ${row.flash_sha256}), no recompile\n`,
    );
    return out;
  }
  const out = enqueueIn(t, db, rows, req, { keepWaitingHash: true, maxAttempts });
  const why = opts.reflash === false && row.flash_sha256 ? ` (recompiling: ${opts.why ?? "asked to"})` : "";
  t.note(out.job.id, `[forge] retry of job ${jobId}${why}\n`);
  return out;
}
