// Runs schedules when they are due. One timer, armed for the soonest next run (at most a minute
// ahead, so a changed system clock is noticed). A run that was due while the sidecar was down (or
// its disk full) runs once when it can, if it is at most the grace period late; older ones are
// recorded as missed. Either way a schedule runs at most once per pass and its next run is computed
// from now: never a burst of catch-up runs.
import {
  nextCronRun,
  parseCron,
  type Schedule,
  type SchedulePatch,
  type ScheduleRun,
  type ScheduleWhen,
} from "@esphome-forge/shared";
import type { Clock } from "../util/clock.js";
import { ValidationError } from "../util/errors.js";
import type { NewRun, ScheduleFields, ScheduleStore } from "./schedule-store.js";

/** What running a schedule did (see fleet/schedule-runner.ts). */
export type RunResult = Pick<ScheduleRun, "outcome" | "jobIds" | "skipped" | "detail">;

export interface SchedulerOptions {
  store: ScheduleStore;
  clock: Clock;
  /**
   * Queues the schedule's jobs (a whole fleet in slices, so it may take a few turns of the event loop).
   * May throw a disk-full error: the run is then tried again later.
   */
  run: (schedule: Schedule) => Promise<RunResult>;
  graceMs: () => number;
  log: (msg: string) => void;
  /** A schedule was created, changed, ran or removed (null). */
  onChange: (id: number, schedule: Schedule | null) => void;
  /** A run was recorded (notifications). */
  onRun?: (schedule: Schedule, run: ScheduleRun) => void;
  /** Runs a write; a full disk is reported and swallowed (durability/disk-state.ts `guard`). */
  guard?: <T>(what: string, fn: () => T) => T | undefined;
  /** false: no timer (tests call `tick`). */
  timers?: boolean;
}

const MAX_TIMER_MS = 60_000;
/** After a pass that could not write (full disk), wait this long before trying again. */
const RETRY_MS = 5_000;
/** A run this late was not on time: its record says so. */
const LATE_NOTE_MS = 60_000;
/** Occurrences counted when finding the latest missed one (a per-minute schedule down for a week). */
const MAX_MISSED_COUNT = 20_000;

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  /** Passes and manual runs, one after another: a schedule still being queued is not seen as due again. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SchedulerOptions) {}

  list(): Schedule[] {
    return this.o.store.list();
  }

  get(id: number): Schedule {
    return this.o.store.require(id);
  }

  runs(id: number, limit: number): ScheduleRun[] {
    this.o.store.require(id);
    return this.o.store.runs(id, limit);
  }

  create(fields: ScheduleFields): Schedule {
    const now = this.o.clock.now();
    const s = this.o.store.insert(fields, this.firstRun(fields, now, true), now);
    this.changed(s.id, s);
    return s;
  }

  update(id: number, patch: SchedulePatch): Schedule {
    const now = this.o.clock.now();
    const old = this.o.store.require(id);
    const fields: ScheduleFields = {
      name: patch.name ?? old.name,
      enabled: patch.enabled ?? old.enabled,
      target: patch.target ?? old.target,
      action: patch.action ?? old.action,
      onlyOutdated: patch.onlyOutdated ?? old.onlyOutdated,
      when: patch.when ?? old.when,
    };
    // Only a change of timing or a re-enable must lead to a future run; renaming a one-time schedule that ran is fine.
    const timingChanged = patch.when !== undefined || (patch.enabled === true && !old.enabled);
    const keep = !timingChanged && old.nextRunAt !== null ? Date.parse(old.nextRunAt) : undefined;
    const next = fields.enabled ? (keep ?? this.firstRun(fields, now, timingChanged)) : null;
    const s = this.o.store.update(id, fields, next, now);
    this.changed(id, s);
    return s;
  }

  remove(id: number): void {
    if (!this.o.store.remove(id)) this.o.store.require(id);
    this.changed(id, null);
  }

  /** Runs a schedule now (its next run stays as it was). */
  runNow(id: number): Promise<ScheduleRun> {
    this.o.store.require(id);
    return this.inTurn(async () => {
      const s = this.o.store.require(id); // it may have changed while an earlier run was queueing
      const now = this.o.clock.now();
      const result = await this.o.run(s);
      return this.record(s, { ...result, dueAt: now, ranAt: now, trigger: "manual" }, undefined);
    });
  }

  /** Catches up on runs due while the sidecar was down, then keeps time. Resolves once caught up. */
  start(): Promise<ScheduleRun[]> {
    this.stopped = false;
    return this.tick("startup");
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Processes every due schedule once. Resolves to the runs recorded. */
  tick(trigger: "schedule" | "startup" = "schedule"): Promise<ScheduleRun[]> {
    return this.inTurn(async () => {
      const now = this.o.clock.now();
      const runs: ScheduleRun[] = [];
      let failed = false;
      for (const s of this.o.store.due(now)) {
        try {
          const run = await this.guarded(`running schedule ${s.id}`, () => this.process(s, now, trigger));
          if (run) runs.push(run);
          else failed = true; // the disk is full: tried again in a few seconds
        } catch (err) {
          this.o.log(`schedule ${s.id}: run failed: ${(err as Error).stack ?? String(err)}`);
          failed = true;
        }
      }
      this.arm(failed);
      return runs;
    });
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn);
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async process(s: Schedule, now: number, trigger: "schedule" | "startup"): Promise<ScheduleRun> {
    const when = s.when;
    let latest = Date.parse(s.nextRunAt!);
    let missed = 0;
    if ("cron" in when) {
      // The newest occurrence that is due: only that one may still run.
      const spec = parseCron(when.cron);
      for (let n = nextCronRun(spec, latest, when.timeZone); n !== null && n <= now;) {
        latest = n;
        if (++missed >= MAX_MISSED_COUNT) break;
        n = nextCronRun(spec, latest, when.timeZone);
      }
    }
    const late = now - latest;
    const grace = this.o.graceMs();
    const next = "cron" in when ? nextCronRun(parseCron(when.cron), now, when.timeZone) : null;
    const earlier = missed
      ? `; ${missed}${missed >= MAX_MISSED_COUNT ? "+" : ""} earlier run(s) were not repeated`
      : "";
    let run: NewRun;
    if (late <= grace) {
      const result = await this.o.run(s);
      const lateNote = late > LATE_NOTE_MS ? `ran ${duration(late)} late${earlier}` : missed ? earlier.slice(2) : null;
      const detail = [result.detail, lateNote].filter(Boolean).join("; ") || null;
      run = { ...result, detail, dueAt: latest, ranAt: now, trigger };
    } else {
      run = {
        outcome: "missed",
        jobIds: [],
        skipped: [],
        detail: `not run: due at ${new Date(latest).toISOString()}, ${duration(late)} ago — more than the grace period of ${duration(grace)} (the sidecar was not running)${earlier}`,
        dueAt: latest,
        ranAt: now,
        trigger,
      };
    }
    return this.record(s, run, next);
  }

  /** Stores the run (and the next run time unless undefined) and tells listeners. */
  private record(s: Schedule, run: NewRun, next: number | null | undefined): ScheduleRun {
    const stored = this.o.store.addRun(s.id, run);
    if (next !== undefined) this.o.store.setNextRun(s.id, next);
    const after = this.o.store.require(s.id);
    const what = run.outcome === "queued" ? `${run.jobIds.length} job(s) queued` : run.outcome;
    this.o.log(`schedule ${s.id}${s.name ? ` (${s.name})` : ""}: ${what}${run.detail ? ` — ${run.detail}` : ""}`);
    this.changed(s.id, after);
    this.o.onRun?.(after, stored);
    return stored;
  }

  /** The first run from now; `strict`: a one-time run in the past is an error rather than "no run". */
  private firstRun(f: ScheduleFields, now: number, strict: boolean): number | null {
    if (!f.enabled) return null;
    const next = nextRun(f.when, now);
    if (next === null && strict) {
      throw new ValidationError(
        "at" in f.when
          ? `when.at: ${f.when.at} is not in the future`
          : `when.cron: "${f.when.cron}" has no run time within eight years`,
      );
    }
    return next;
  }

  private changed(id: number, s: Schedule | null): void {
    this.o.onChange(id, s);
    this.arm(false);
  }

  private arm(afterFailure: boolean): void {
    if (this.o.timers === false || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const soonest = this.o.store.soonest();
    if (soonest === null) return;
    let delay = Math.max(0, soonest - this.o.clock.now());
    if (afterFailure) delay = Math.max(delay, RETRY_MS);
    const tick = () => this.tick().catch((err: unknown) => this.o.log(`schedules: ${(err as Error).message}`));
    this.timer = setTimeout(() => void tick(), Math.min(delay, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** `fn` under the disk guard: a full disk is reported and gives undefined; any other error is thrown on. */
  private async guarded<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (!this.o.guard) throw err;
      return this.o.guard(what, () => {
        throw err;
      });
    }
  }
}

/** The first run time after `now`, or null (a one-time run in the past). */
export function nextRun(when: ScheduleWhen, now: number): number | null {
  if ("cron" in when) return nextCronRun(parseCron(when.cron), now, when.timeZone);
  const at = Date.parse(when.at);
  return at > now ? at : null;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}
