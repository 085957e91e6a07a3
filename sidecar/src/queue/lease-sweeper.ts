// The periodic checks on running jobs: lapsed leases (the worker went silent) and wall-clock
// timeouts. Both run inside the queue's transaction and return the ids they changed.
import type { JobRow, JobRows } from "./job-rows.js";
import { finish, requeueOrFail, type Tx } from "./job-transitions.js";

export function expireLeases(t: Tx, rows: JobRows): number[] {
  const lapsed = rows
    .stmt("SELECT * FROM jobs WHERE state = 'running' AND lease_expires_at <= ? ORDER BY id")
    .all(t.now) as JobRow[];
  for (const row of lapsed) {
    const why = `lease expired on worker ${row.worker_id ?? "?"}`;
    if (row.cancel_requested) {
      // The cancel cannot be confirmed by a worker that is gone; the job is over either way.
      t.note(row.id, `\n[forge] ${why}; the job was cancelled\n`);
      finish(t, rows, row, "cancelled", { error: `cancelled (${why})` });
    } else requeueOrFail(t, rows, row, why, { lostBy: row.worker_id });
  }
  return lapsed.map((r) => r.id);
}

export function expireTimeouts(t: Tx, rows: JobRows, jobTimeoutMs: number): number[] {
  const late = rows
    .stmt("SELECT * FROM jobs WHERE state = 'running' AND started_at <= ? ORDER BY id")
    .all(t.now - jobTimeoutMs) as JobRow[];
  for (const row of late) {
    const why = `timed out after ${formatDuration(t.now - row.started_at!)} (limit ${formatDuration(jobTimeoutMs)})`;
    t.note(row.id, `\n[forge] ${why}; stopping it\n`);
    finish(t, rows, row, "timed_out", { error: why, phase: row.phase });
  }
  return late.map((r) => r.id);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}
