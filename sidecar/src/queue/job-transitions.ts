// State transitions shared by several queue operations. They run inside the caller's transaction
// and report what they touched through `Tx`, so events go out only after the commit.
import type { JobState } from "@esphome-forge/shared";
import { forgetInterruptedBuild } from "./job-results.js";
import type { JobFields, JobRow, JobRows } from "./job-rows.js";

export interface Tx {
  readonly now: number;
  /** Marks a job as changed: its new state is emitted after the commit. */
  touch(id: number): void;
  /** Appends a line from the sidecar itself to the job's log (emitted after the commit). */
  note(id: number, text: string): void;
}

type Terminal = Extract<JobState, "succeeded" | "failed" | "cancelled" | "timed_out">;

/** Ends a job: records the finish time and duration, drops the lease (the fence stays for stop messages). */
export function finish(t: Tx, rows: JobRows, row: JobRow, state: Terminal, fields: JobFields = {}): void {
  rows.update(row.id, {
    progress: null,
    ...fields,
    state,
    finished_at: t.now,
    duration_ms: row.started_at == null ? null : Math.max(0, t.now - row.started_at),
    lease_expires_at: null,
    updated_at: t.now,
  });
  t.touch(row.id);
}

export interface Requeue {
  /** The worker that lost the job: its retries go to other workers first, and its folder is not warm. */
  lostBy?: string | null;
  /** The job never started (handed back at once): the attempt it was given is not counted. */
  refund?: boolean;
}

/**
 * A running job its worker no longer holds: back to the queue while attempts remain, else failed
 * in the "dispatch" phase. If the same device and action was queued again meanwhile, that newer
 * job carries the newest parameters and this one is closed as superseded.
 */
export function requeueOrFail(t: Tx, rows: JobRows, row: JobRow, why: string, opts: Requeue = {}): void {
  if (opts.lostBy) forgetInterruptedBuild(rows, row);
  const attempts = opts.refund ? Math.max(0, row.attempts - 1) : row.attempts;
  const attempt = opts.refund ? "no attempt used" : `attempt ${row.attempts}/${row.max_attempts}`;
  if (attempts >= row.max_attempts) {
    t.note(row.id, `\n[forge] ${why} (${attempt}); no attempts left, the job failed\n`);
    finish(t, rows, row, "failed", { phase: "dispatch", error: `${why} (${attempt}); no attempts left` });
    return;
  }
  const waiting = rows.waitingFor(row.device_id, row.action);
  if (waiting) {
    t.note(row.id, `\n[forge] ${why} (${attempt}); superseded by job ${waiting.id}, which is already queued\n`);
    finish(t, rows, row, "cancelled", { phase: "dispatch", error: `${why}; superseded by queued job ${waiting.id}` });
    return;
  }
  t.note(row.id, `\n[forge] ${why} (${attempt}); requeued\n`);
  rows.update(row.id, {
    state: "queued",
    worker_id: null,
    dispatch_reason: null,
    attempts,
    lease_fence: null,
    lease_expires_at: null,
    started_at: null,
    phase: null,
    progress: null,
    lost_on: withLostWorker(row.lost_on, opts.lostBy ?? null),
    updated_at: t.now,
  });
  t.touch(row.id);
}

/**
 * Cancel on request: a waiting job (queued, blocked, or waiting for its device) ends at once; a running
 * one is flagged and ends when its worker reports (or its lease lapses). Returns false for a job that
 * already finished.
 */
export function cancelRow(t: Tx, rows: JobRows, row: JobRow, reason: string): boolean {
  if (row.state === "queued" || row.state === "blocked" || row.state === "waiting_for_device") {
    const waited = row.state === "waiting_for_device";
    t.note(row.id, `[forge] cancelled ${waited ? "while waiting for the device" : "before it started"}: ${reason}\n`);
    finish(t, rows, row, "cancelled", {
      cancel_requested: 1,
      error: reason,
      ...(waited ? { blocked_reason: null } : {}),
    });
    return true;
  }
  if (row.state === "running") {
    if (row.cancel_requested === 0) {
      t.note(row.id, `\n[forge] cancel requested: ${reason}\n`);
      rows.update(row.id, { cancel_requested: 1, updated_at: t.now });
      t.touch(row.id);
    }
    return true;
  }
  return false;
}

/** Adds a worker to a job's `lost_on` list (JSON), once. */
export function withLostWorker(lostOn: string, workerId: string | null): string {
  const list = parseLost(lostOn);
  if (workerId && !list.includes(workerId)) list.push(workerId);
  return JSON.stringify(list);
}

export function parseLost(lostOn: string | null | undefined): string[] {
  try {
    const v: unknown = JSON.parse(lostOn ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
