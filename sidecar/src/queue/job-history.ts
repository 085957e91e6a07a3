// Read-side queries over finished and active jobs: filtered history with keyset pagination,
// per-device stats, last successful build, affinity, and retention.
import {
  ACTIVE_JOB_STATES,
  TERMINAL_JOB_STATES,
  type DeviceStats as DeviceStatsSchema,
  type Job,
  type JobAction,
  type JobListQuery,
  type JobState,
} from "@esphome-forge/shared";
import type { z } from "zod";
import type { Db } from "../db/database.js";
import type { JobRows } from "./job-rows.js";
import { cachedStatement } from "../db/statements.js";

const DAY_MS = 86_400_000;

/**
 * A device's approved builds (its staged firmware is the newest): a compile that succeeded, or a
 * compile_upload whose build was approved whatever its flash did. `t`: the jobs table's alias, if any.
 */
const approvedBuild = (t = "") =>
  `((${t}action = 'compile' AND ${t}state = 'succeeded')
    OR (${t}action = 'compile_upload' AND (${t}flash_sha256 IS NOT NULL OR ${t}state = 'succeeded')))`;

/** One entry of GET /stats/devices (shared exports only the schema). */
export type DeviceStats = z.infer<typeof DeviceStatsSchema>;

export interface Affinity {
  workerId: string;
  builtAt: number;
  durationMs: number;
}

/** The parts of JobListQuery the queue uses; `limit` defaults to 50. */
export type JobFilter = Partial<JobListQuery>;

export class JobHistory {
  constructor(
    private readonly db: Db,
    private readonly rows: JobRows,
  ) {}

  /** Newest first; `nextBefore` is the id to pass as `before` for the next page, null on the last. */
  list(q: JobFilter): { jobs: Job[]; nextBefore: number | null } {
    const where: string[] = [];
    const args: unknown[] = [];
    const anyOf = (col: string, values: readonly string[] | undefined) => {
      if (!values?.length) return;
      where.push(`${col} IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(values));
    };
    anyOf("device_id", q.device);
    anyOf("state", q.state);
    anyOf("action", q.action);
    if (q.since) {
      where.push("created_at >= ?");
      args.push(Date.parse(q.since));
    }
    if (q.until) {
      where.push("created_at < ?");
      args.push(Date.parse(q.until));
    }
    if (q.before != null) {
      where.push("id < ?");
      args.push(q.before);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 50, 500));
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    const jobs = this.rows.select(sql, ...args, limit + 1);
    const more = jobs.length > limit;
    if (more) jobs.pop();
    return { jobs, nextBefore: more ? jobs[jobs.length - 1]!.id : null };
  }

  /** The most recently finished jobs, newest first. */
  recent(limit: number): Job[] {
    return this.rows.select(
      "SELECT * FROM jobs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT ?",
      Math.max(0, Math.floor(limit)),
    );
  }

  active(): Job[] {
    return this.rows.select(
      "SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?)) ORDER BY id",
      JSON.stringify(ACTIVE_JOB_STATES),
    );
  }

  /**
   * The device's last successful job (of these actions). Walks the device's successes newest first
   * (index jobs_device_state_finished): cost independent of the history's length.
   */
  lastSucceeded(deviceId: string, actions?: readonly JobAction[]): Job | undefined {
    const filter = actions?.length ? "AND action IN (SELECT value FROM json_each(?))" : "";
    const args: unknown[] = [deviceId, ...(actions?.length ? [JSON.stringify(actions)] : [])];
    return this.rows.select(
      `SELECT * FROM jobs WHERE device_id = ? AND state = 'succeeded' ${filter}
       ORDER BY finished_at DESC, id DESC LIMIT 1`,
      ...args,
    )[0];
  }

  /**
   * The device's newest approved build (its staged firmware): a compile that succeeded, or a compile_upload
   * whose build was approved, whatever its flash did (a failed OTA never loses the build).
   */
  lastApprovedBuild(deviceId: string): Job | undefined {
    return this.rows.select(
      `SELECT * FROM jobs WHERE device_id = ? AND ${approvedBuild()} ORDER BY id DESC LIMIT 1`,
      deviceId,
    )[0];
  }

  /** The device's newest finished job of these actions (index jobs_device, newest first). */
  lastFinished(deviceId: string, actions: readonly JobAction[]): Job | undefined {
    return this.rows.select(
      `SELECT * FROM jobs WHERE device_id = ? AND action IN (SELECT value FROM json_each(?))
       AND state IN (SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT 1`,
      deviceId,
      JSON.stringify(actions),
      JSON.stringify(TERMINAL_JOB_STATES),
    )[0];
  }

  /**
   * Ids and states of the device's newest jobs of these actions in these states, newest first: a streak
   * is counted without loading (and judging) whole jobs.
   */
  stateTrail(
    deviceId: string,
    actions: readonly JobAction[],
    states: readonly JobState[],
    limit: number,
  ): { id: number; state: JobState }[] {
    return this.rows
      .stmt(
        `SELECT id, state FROM jobs WHERE device_id = ? AND action IN (SELECT value FROM json_each(?))
         AND state IN (SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT ?`,
      )
      .all(deviceId, JSON.stringify(actions), JSON.stringify(states), limit) as { id: number; state: JobState }[];
  }

  /**
   * Every digest the devices' newest jobs name — the last successful flash and compile and the staged
   * build (images, approved image, the digest an upload asked for) — in one pass over the index.
   */
  latestImages(deviceIds: readonly string[], flash: readonly JobAction[], compile: readonly JobAction[]): string[] {
    const newest = (where: string, order: string) =>
      `SELECT (SELECT id FROM jobs j WHERE j.device_id = d.value AND ${where} ORDER BY ${order} LIMIT 1) AS id FROM devs d`;
    const succeeded = (param: "flash" | "compile") =>
      newest(
        `j.state = 'succeeded' AND j.action IN (SELECT value FROM json_each(@${param}))`,
        "j.finished_at DESC, j.id DESC",
      );
    return this.rows
      .stmt(
        `WITH devs AS (SELECT value FROM json_each(@devices)),
         latest AS (${succeeded("flash")} UNION ${succeeded("compile")} UNION ${newest(approvedBuild("j."), "j.id DESC")})
         SELECT f.sha256 AS sha FROM job_firmware f WHERE f.job_id IN (SELECT id FROM latest WHERE id IS NOT NULL)
         UNION SELECT flash_sha256 FROM jobs WHERE id IN (SELECT id FROM latest) AND flash_sha256 IS NOT NULL
         UNION SELECT json_extract(params, '$.firmwareSha256') FROM jobs
           WHERE id IN (SELECT id FROM latest) AND json_extract(params, '$.firmwareSha256') IS NOT NULL`,
      )
      .pluck()
      .all({
        devices: JSON.stringify(deviceIds),
        flash: JSON.stringify(flash),
        compile: JSON.stringify(compile),
      }) as string[];
  }

  /** Every image an unfinished job names: what it will flash, and a compile_upload's build awaiting its flasher. */
  activeImages(): string[] {
    return this.rows
      .stmt(
        `WITH active AS (SELECT id, params, flash_sha256 FROM jobs WHERE state IN (SELECT value FROM json_each(?)))
         SELECT json_extract(params, '$.firmwareSha256') FROM active WHERE json_extract(params, '$.firmwareSha256') IS NOT NULL
         UNION SELECT flash_sha256 FROM active WHERE flash_sha256 IS NOT NULL
         UNION SELECT f.sha256 FROM job_firmware f JOIN active a ON a.id = f.job_id WHERE a.flash_sha256 IS NOT NULL`,
      )
      .pluck()
      .all(JSON.stringify(ACTIVE_JOB_STATES)) as string[];
  }

  /** The devices with a job finished at or after `since` (index jobs_finished). */
  finishedSince(since: number): string[] {
    // Deduplicated here: with DISTINCT the planner walks a device index over the whole table instead.
    const ids = this.rows.stmt("SELECT device_id FROM jobs WHERE finished_at >= ?", "pluck").all(since) as string[];
    return [...new Set(ids)];
  }

  /** The device's newest job of these actions, in any state (index jobs_device, newest first). */
  lastOf(deviceId: string, actions: readonly JobAction[]): Job | undefined {
    return this.rows.select(
      "SELECT * FROM jobs WHERE device_id = ? AND action IN (SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT 1",
      deviceId,
      JSON.stringify(actions),
    )[0];
  }

  /**
   * Per device: counts by outcome, the median duration of its successful jobs, and when it last
   * succeeded / last failed (a timeout counts as a failure there).
   */
  stats(): DeviceStats[] {
    const counts = this.db
      .prepare(
        `SELECT device_id,
                COUNT(*) AS total,
                SUM(state = 'succeeded') AS succeeded,
                SUM(state = 'failed') AS failed,
                SUM(state = 'cancelled') AS cancelled,
                SUM(state = 'timed_out') AS timed_out,
                MAX(CASE WHEN state = 'succeeded' THEN finished_at END) AS last_ok,
                MAX(CASE WHEN state IN ('failed', 'timed_out') THEN finished_at END) AS last_bad
         FROM jobs GROUP BY device_id ORDER BY device_id`,
      )
      .all() as {
      device_id: string;
      total: number;
      succeeded: number;
      failed: number;
      cancelled: number;
      timed_out: number;
      last_ok: number | null;
      last_bad: number | null;
    }[];
    const durations = new Map<string, number[]>();
    const rows = this.db
      .prepare(
        `SELECT device_id, duration_ms FROM jobs WHERE state = 'succeeded' AND duration_ms IS NOT NULL
         ORDER BY device_id, duration_ms`,
      )
      .all() as { device_id: string; duration_ms: number }[];
    for (const r of rows) {
      const list = durations.get(r.device_id) ?? [];
      list.push(r.duration_ms);
      durations.set(r.device_id, list);
    }
    const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
    return counts.map((c) => ({
      deviceId: c.device_id,
      total: c.total,
      succeeded: c.succeeded,
      failed: c.failed,
      cancelled: c.cancelled,
      timedOut: c.timed_out,
      medianDurationMs: median(durations.get(c.device_id) ?? []),
      lastSucceededAt: iso(c.last_ok),
      lastFailedAt: iso(c.last_bad),
    }));
  }

  affinities(): Map<string, Affinity> {
    const rows = this.rows.stmt("SELECT device_id, worker_id, built_at, duration_ms FROM device_affinity").all() as {
      device_id: string;
      worker_id: string;
      built_at: number;
      duration_ms: number;
    }[];
    return new Map(
      rows.map((r) => [r.device_id, { workerId: r.worker_id, builtAt: r.built_at, durationMs: r.duration_ms }]),
    );
  }

  affinity(deviceId: string): Affinity | undefined {
    const r = cachedStatement(
      this.db,
      "SELECT worker_id, built_at, duration_ms FROM device_affinity WHERE device_id = ?",
    ).get(deviceId) as { worker_id: string; built_at: number; duration_ms: number } | undefined;
    return r ? { workerId: r.worker_id, builtAt: r.built_at, durationMs: r.duration_ms } : undefined;
  }

  /** Deletes finished jobs older than the retention (0 = keep all) with their logs; returns their ids. */
  prune(retentionDays: number, now: number): number[] {
    if (retentionDays <= 0) return [];
    const cutoff = now - retentionDays * DAY_MS;
    return this.db.transaction(() => {
      const ids = (
        this.db
          .prepare(
            `SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?
             AND state IN ('succeeded', 'failed', 'cancelled', 'timed_out')`,
          )
          .all(cutoff) as { id: number }[]
      ).map((r) => r.id);
      // Log chunks and firmware rows go with them (ON DELETE CASCADE).
      const del = this.db.prepare("DELETE FROM jobs WHERE id = ?");
      for (const id of ids) del.run(id);
      return ids;
    })();
  }
}

/**
 * Deletes the oldest finished jobs beyond the newest `max` (0 = no limit), with their logs; returns their
 * ids. Each device's latest successful job per action stays whatever its age: it is what the device
 * runs or has staged, and what "outdated" is measured against.
 */
export function pruneByCount(db: Db, max: number): number[] {
  if (max <= 0) return [];
  return db.transaction(() => {
    // Counted on the index first: the query below sorts the whole history, 0.1 s at 2,000 devices under load.
    const finished = db.prepare("SELECT COUNT(*) FROM jobs WHERE finished_at IS NOT NULL").pluck().get() as number;
    if (finished <= max) return [];
    const ids = (
      db
        .prepare(
          `SELECT id FROM jobs
            WHERE finished_at IS NOT NULL AND state IN ('succeeded', 'failed', 'cancelled', 'timed_out')
              AND id NOT IN (SELECT MAX(id) FROM jobs WHERE state = 'succeeded' GROUP BY device_id, action)
            ORDER BY finished_at DESC, id DESC LIMIT -1 OFFSET ?`,
        )
        .all(max) as { id: number }[]
    ).map((r) => r.id);
    const del = db.prepare("DELETE FROM jobs WHERE id = ?");
    for (const id of ids) del.run(id);
    return ids;
  })();
}

/** Median of an ascending list; null when empty. */
export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = Math.floor(n / 2);
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
