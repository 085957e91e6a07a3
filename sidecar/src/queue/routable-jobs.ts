// The queue's face for routing (dispatch/blocked-jobs.ts): the jobs waiting for a worker — `queued`,
// or `blocked` because no online worker can take them — with what routing needs to judge them, and
// the one move between those two states. (A flash waiting for its device is flash-waits.ts's.)
import type { Job, JobAction, JobStep } from "@esphome-forge/shared";
import type { RunTx } from "./flash-waits.js";
import type { JobRows } from "./job-rows.js";

/** A job waiting for a worker, with its routing inputs. */
export interface RoutableRow {
  id: number;
  device_id: string;
  action: JobAction;
  /** Its next step (a flash needs a flasher) and who built its image. */
  step: JobStep | null;
  built_by: string | null;
  params: string;
  state: "queued" | "blocked";
  blocked_reason: string | null;
}

const COLUMNS = "id, device_id, action, step, built_by, params, state, blocked_reason";

export class RoutableJobs {
  constructor(
    private readonly rows: JobRows,
    private readonly run: RunTx,
  ) {}

  /** Every one, a page at a time by id (the blocked-jobs recheck walks them). */
  page(afterId: number, limit: number): RoutableRow[] {
    return this.rows
      .stmt(`SELECT ${COLUMNS} FROM jobs WHERE state IN ('queued', 'blocked') AND id > ? ORDER BY id LIMIT ?`)
      .all(afterId, limit) as RoutableRow[];
  }

  /** A device's (its tags or platform changed, so another rule may apply). */
  ofDevice(deviceId: string): RoutableRow[] {
    return this.rows
      .stmt(`SELECT ${COLUMNS} FROM jobs WHERE device_id = ? AND state IN ('queued', 'blocked')`)
      .all(deviceId) as RoutableRow[];
  }

  /**
   * queued → blocked (or a blocked job's reason changed): no online worker can take it. Null reason:
   * blocked → queued, the job waits for a slot again in its old place (priority, then id).
   */
  setBlocked(jobId: number, reason: string | null): Job | undefined {
    const changed = this.run((t) => {
      const row = this.rows.row(jobId);
      if (!row || (row.state !== "queued" && row.state !== "blocked")) return false;
      const state = reason === null ? "queued" : "blocked";
      if (row.state === state && (row.blocked_reason ?? null) === reason) return false;
      // updated_at is left alone: a job lost on a worker keeps counting how long it has waited.
      this.rows.update(jobId, { state, blocked_reason: reason });
      t.touch(jobId);
      return true;
    });
    return changed ? this.rows.job(jobId) : undefined;
  }
}
