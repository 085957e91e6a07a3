// Schedules and their run history in SQLite. The store only reads and writes rows; when a schedule
// runs next is computed by the scheduler (scheduler.ts) and stored here as `next_run_at`.
import type {
  Schedule,
  ScheduleAction,
  ScheduleRun,
  ScheduleRunOutcome,
  ScheduleTarget,
  ScheduleWhen,
} from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import { NotFoundError } from "../util/errors.js";

/** Runs kept per schedule (the oldest go first). */
export const RUNS_KEPT = 100;

interface ScheduleRow {
  id: number;
  name: string;
  enabled: number;
  target: string;
  action: ScheduleAction;
  only_outdated: number;
  cron: string | null;
  time_zone: string | null;
  run_at: number | null;
  next_run_at: number | null;
  created_at: number;
  updated_at: number;
}

interface RunRow {
  id: number;
  schedule_id: number;
  due_at: number;
  ran_at: number;
  trigger: ScheduleRun["trigger"];
  outcome: ScheduleRunOutcome;
  job_ids: string;
  skipped: string;
  detail: string | null;
}

export interface ScheduleFields {
  name: string;
  enabled: boolean;
  target: ScheduleTarget;
  action: ScheduleAction;
  onlyOutdated: boolean;
  when: ScheduleWhen;
}

export type NewRun = Omit<ScheduleRun, "id" | "scheduleId" | "dueAt" | "ranAt"> & { dueAt: number; ranAt: number };

const iso = (ms: number) => new Date(ms).toISOString();

export class ScheduleStore {
  constructor(private readonly db: Db) {}

  list(): Schedule[] {
    const rows = this.db.prepare("SELECT * FROM schedules ORDER BY id").all() as ScheduleRow[];
    return rows.map((r) => this.toSchedule(r));
  }

  get(id: number): Schedule | undefined {
    const row = this.row(id);
    return row ? this.toSchedule(row) : undefined;
  }

  require(id: number): Schedule {
    const s = this.get(id);
    if (!s) throw new NotFoundError(`no schedule with id ${id}`);
    return s;
  }

  /** Schedules whose next run is at or before `now`, soonest first. */
  due(now: number): Schedule[] {
    const rows = this.db
      .prepare("SELECT * FROM schedules WHERE next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, id")
      .all(now) as ScheduleRow[];
    return rows.map((r) => this.toSchedule(r));
  }

  /** The soonest next run of all schedules (ms), or null. */
  soonest(): number | null {
    const r = this.db.prepare("SELECT MIN(next_run_at) AS t FROM schedules").get() as { t: number | null };
    return r.t;
  }

  insert(f: ScheduleFields, nextRunAt: number | null, now: number): Schedule {
    const info = this.db
      .prepare(
        `INSERT INTO schedules (name, enabled, target, action, only_outdated, cron, time_zone, run_at, next_run_at,
                                created_at, updated_at)
         VALUES (@name, @enabled, @target, @action, @only_outdated, @cron, @time_zone, @run_at, @next, @now, @now)`,
      )
      .run({ ...columns(f), next: nextRunAt, now });
    return this.require(Number(info.lastInsertRowid));
  }

  update(id: number, f: ScheduleFields, nextRunAt: number | null, now: number): Schedule {
    this.db
      .prepare(
        `UPDATE schedules SET name = @name, enabled = @enabled, target = @target, action = @action,
                only_outdated = @only_outdated, cron = @cron, time_zone = @time_zone, run_at = @run_at,
                next_run_at = @next, updated_at = @now WHERE id = @id`,
      )
      .run({ ...columns(f), next: nextRunAt, now, id });
    return this.require(id);
  }

  setNextRun(id: number, nextRunAt: number | null): void {
    this.db.prepare("UPDATE schedules SET next_run_at = ? WHERE id = ?").run(nextRunAt, id);
  }

  remove(id: number): boolean {
    return this.db.prepare("DELETE FROM schedules WHERE id = ?").run(id).changes > 0;
  }

  /** Records a run and keeps the newest RUNS_KEPT of the schedule's history. */
  addRun(scheduleId: number, run: NewRun): ScheduleRun {
    const info = this.db
      .prepare(
        `INSERT INTO schedule_runs (schedule_id, due_at, ran_at, trigger, outcome, job_ids, skipped, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        scheduleId,
        run.dueAt,
        run.ranAt,
        run.trigger,
        run.outcome,
        JSON.stringify(run.jobIds),
        JSON.stringify(run.skipped),
        run.detail,
      );
    this.db
      .prepare(
        `DELETE FROM schedule_runs WHERE schedule_id = ? AND id NOT IN
           (SELECT id FROM schedule_runs WHERE schedule_id = ? ORDER BY id DESC LIMIT ?)`,
      )
      .run(scheduleId, scheduleId, RUNS_KEPT);
    return toRun(this.db.prepare("SELECT * FROM schedule_runs WHERE id = ?").get(info.lastInsertRowid) as RunRow);
  }

  /** Newest first. */
  runs(scheduleId: number, limit: number): ScheduleRun[] {
    const rows = this.db
      .prepare("SELECT * FROM schedule_runs WHERE schedule_id = ? ORDER BY id DESC LIMIT ?")
      .all(scheduleId, limit) as RunRow[];
    return rows.map(toRun);
  }

  private row(id: number): ScheduleRow | undefined {
    return this.db.prepare("SELECT * FROM schedules WHERE id = ?").get(id) as ScheduleRow | undefined;
  }

  private toSchedule(r: ScheduleRow): Schedule {
    const when: ScheduleWhen =
      r.cron !== null ? { cron: r.cron, timeZone: r.time_zone ?? "UTC" } : { at: iso(r.run_at ?? 0) };
    return {
      id: r.id,
      name: r.name,
      enabled: r.enabled === 1,
      target: JSON.parse(r.target) as ScheduleTarget,
      action: r.action,
      onlyOutdated: r.only_outdated === 1,
      when,
      createdAt: iso(r.created_at),
      updatedAt: iso(r.updated_at),
      nextRunAt: r.next_run_at === null ? null : iso(r.next_run_at),
      lastRun: this.runs(r.id, 1)[0] ?? null,
    };
  }
}

function columns(f: ScheduleFields) {
  return {
    name: f.name,
    enabled: f.enabled ? 1 : 0,
    target: JSON.stringify(f.target),
    action: f.action,
    only_outdated: f.onlyOutdated ? 1 : 0,
    cron: "cron" in f.when ? f.when.cron : null,
    time_zone: "cron" in f.when ? f.when.timeZone : null,
    run_at: "at" in f.when ? Date.parse(f.when.at) : null,
  };
}

function toRun(r: RunRow): ScheduleRun {
  return {
    id: r.id,
    scheduleId: r.schedule_id,
    dueAt: iso(r.due_at),
    ranAt: iso(r.ran_at),
    trigger: r.trigger,
    outcome: r.outcome,
    jobIds: JSON.parse(r.job_ids) as number[],
    skipped: JSON.parse(r.skipped) as ScheduleRun["skipped"],
    detail: r.detail,
  };
}
