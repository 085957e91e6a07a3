// The `jobs` table as rows, and their conversion to the shared `Job` wire shape.
import { JOB_PRIORITIES, type FirmwareImage, type Job, type JobPriority } from "@esphome-forge/shared";
import type BetterSqlite3 from "better-sqlite3";
import type { Db } from "../db/database.js";
import { cachedStatement } from "../db/statements.js";

export interface JobRow {
  id: number;
  device_id: string;
  action: Job["action"];
  state: Job["state"];
  priority: JobPriority;
  priority_rank: number;
  params: string;
  source: string;
  attempts: number;
  max_attempts: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  worker_id: string | null;
  dispatch_reason: string | null;
  cancel_requested: number;
  phase: Job["phase"];
  error: string | null;
  config_hash: string | null;
  esphome_version: string | null;
  progress: number | null;
  duration_ms: number | null;
  /** Superseded by lease_fence (migration 4); no longer written. */
  fence: number | null;
  /** The random fencing token of the current (or, once finished, last) assignment. */
  lease_fence: string | null;
  lease_expires_at: number | null;
  log_bytes: number;
  log_dropped_bytes: number;
  /** JSON `ValidationError[]` (migration 2). */
  validation_errors: string;
  /** JSON string[]: workers this job was lost on (crash, hang, lease lapse, handed back); migration 4. */
  lost_on: string;
  /** The config folder's commit at dispatch (migration 10). */
  config_commit: string | null;
  /** While blocked: what no online worker has (migration 11). */
  blocked_reason: string | null;
  /** Flashing jobs: "build" then "flash" (null for validate/compile, and for rows from before the split). */
  step: Job["step"] | null;
  /** The approved archived image the flash step sends. */
  flash_sha256: string | null;
  /** The worker that built the image (never given its flash). */
  built_by: string | null;
  /** While waiting_for_device: when the wait ends and the job fails (ms). */
  waiting_until: number | null;
}

export type JobFields = Partial<Omit<JobRow, "id">>;

export const priorityRank = (p: JobPriority): number => JOB_PRIORITIES.indexOf(p);

const iso = (ms: number | null): string | null => (ms == null ? null : new Date(ms).toISOString());

export function toJob(row: JobRow, firmware: FirmwareImage[]): Job {
  return {
    id: row.id,
    deviceId: row.device_id,
    action: row.action,
    state: row.state,
    priority: row.priority,
    params: JSON.parse(row.params) as Job["params"],
    source: row.source,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    workerId: row.worker_id,
    dispatchReason: row.dispatch_reason,
    blockedReason: row.blocked_reason ?? null,
    waitingUntil: iso(row.waiting_until ?? null),
    cancelRequested: row.cancel_requested !== 0,
    phase: row.phase,
    error: row.error,
    configHash: row.config_hash,
    esphomeVersion: row.esphome_version,
    firmware,
    logBytes: row.log_bytes,
    logTruncated: row.log_dropped_bytes > 0,
    progress: row.progress,
    durationMs: row.duration_ms,
    validationErrors: JSON.parse(row.validation_errors) as Job["validationErrors"],
    configCommit: row.config_commit ?? null,
    step: row.step ?? null,
    flashSha256: row.flash_sha256 ?? null,
    builtBy: row.built_by ?? null,
  };
}

/** Row access with cached statements; callers provide the transactions. */
export class JobRows {
  private readonly byId;
  private readonly firmwareOf;
  /** Per-job fields kept outside the jobs table (content trust), added to every Job converted here. */
  annotate: ((jobs: Job[]) => void) | null = null;

  constructor(private readonly db: Db) {
    this.byId = db.prepare("SELECT * FROM jobs WHERE id = ?");
    this.firmwareOf = db.prepare(
      `SELECT job_id, name, sha256, size, kind FROM job_firmware
       WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY job_id, seq`,
    );
  }

  /** A prepared statement, kept by its SQL (the dispatcher asks for the queue on every pass). */
  stmt(sql: string, mode: "rows" | "pluck" = "rows"): BetterSqlite3.Statement {
    return cachedStatement(this.db, sql, mode);
  }

  row(id: number): JobRow | undefined {
    return this.byId.get(id) as JobRow | undefined;
  }

  /** Rows matching a query over `jobs` (must select `*`), converted with their firmware. */
  select(sql: string, ...args: unknown[]): Job[] {
    return this.toJobs(this.stmt(sql).all(...args) as JobRow[]);
  }

  job(id: number): Job | undefined {
    const row = this.row(id);
    return row ? this.toJobs([row])[0] : undefined;
  }

  toJobs(rows: JobRow[]): Job[] {
    if (rows.length === 0) return [];
    const images = new Map<number, FirmwareImage[]>();
    const fw = this.firmwareOf.all(JSON.stringify(rows.map((r) => r.id))) as (FirmwareImage & { job_id: number })[];
    for (const { job_id, ...image } of fw) {
      const list = images.get(job_id) ?? [];
      list.push(image);
      images.set(job_id, list);
    }
    const jobs = rows.map((r) => toJob(r, images.get(r.id) ?? []));
    this.annotate?.(jobs);
    return jobs;
  }

  /**
   * The job waiting to run for (device, action), if any (coalescing keeps it to one); an `upload` waiting
   * for its device counts. A compile_upload waiting for its flash is not: its image is approved, and a
   * new request wants a new build.
   */
  waitingFor(deviceId: string, action: string): JobRow | undefined {
    return this.stmt(
      `SELECT * FROM jobs WHERE device_id = ? AND action = ? AND state IN ('queued', 'blocked', 'waiting_for_device')
       AND NOT (action = 'compile_upload' AND step IS 'flash')`,
    ).get(deviceId, action) as JobRow | undefined;
  }

  update(id: number, fields: JobFields): void {
    const defined = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (defined.length === 0) return;
    const keys = defined.map(([k]) => k).sort();
    // Keys come from JobFields (code, never input), so building the SQL from them is safe.
    this.stmt(`UPDATE jobs SET ${keys.map((k) => `${k} = @${k}`).join(", ")} WHERE id = @id`).run({
      ...Object.fromEntries(defined),
      id,
    });
  }
}
