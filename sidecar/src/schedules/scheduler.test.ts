// The scheduler on a real SQLite database with a manual clock: when runs happen, what a sidecar that
// was down does at start (once within the grace period, recorded as missed beyond it, never a burst),
// a full disk, edits, and the history cap. The process test (sidecar/test/schedules.test.ts) runs a
// real one-time schedule end to end.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Schedule } from "@esphome-forge/shared";
import { openDatabase } from "../db/database.js";
import { ManualClock } from "../util/clock.js";
import { ValidationError } from "../util/errors.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import { RUNS_KEPT, ScheduleStore } from "./schedule-store.js";
import { Scheduler, type RunResult } from "./scheduler.js";
import type { ScheduleFields } from "./schedule-store.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

function fixture(start = "2026-05-04T10:00:00Z", graceMs = HOUR) {
  const db = openDatabase(join(tempDir("forge-sched-"), "forge.db"));
  const clock = new ManualClock(Date.parse(start));
  const ran: Schedule[] = [];
  const changes: (Schedule | null)[] = [];
  let fail: Error | null = null;
  /** Set: runs wait for it (a whole fleet being queued in slices). */
  let gate: Promise<void> | null = null;
  const scheduler = new Scheduler({
    store: new ScheduleStore(db),
    clock,
    run: async (s): Promise<RunResult> => {
      if (gate) await gate;
      if (fail) throw fail;
      ran.push(s);
      return { outcome: "queued", jobIds: [ran.length], skipped: [], detail: "1 job(s) queued" };
    },
    graceMs: () => graceMs,
    log: () => undefined,
    timers: false,
    onChange: (_id, s) => changes.push(s),
    // Like DiskState.guard: a disk-full error is swallowed (the caller retries), anything else thrown.
    guard: (_what, fn) => {
      try {
        return fn();
      } catch (err) {
        if ((err as { code?: string }).code === "ENOSPC") return undefined;
        throw err;
      }
    },
  });
  return {
    db,
    clock,
    ran,
    changes,
    scheduler,
    failWith: (e: Error | null) => (fail = e),
    holdRuns: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
    at: (iso: string) => clock.set(Date.parse(iso)),
  };
}

const nightly = (over: Partial<ScheduleFields> = {}): ScheduleFields => ({
  name: "nightly",
  enabled: true,
  target: { kind: "fleet" },
  action: "compile_upload",
  onlyOutdated: true,
  when: { cron: "0 3 * * *", timeZone: "Europe/Berlin" },
  ...over,
});

describe("scheduler", () => {
  it("computes the next run in the schedule's zone and runs when it is due, then the next day", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    expect(s.nextRunAt).toBe("2026-05-05T01:00:00.000Z"); // 03:00 CEST
    f.at("2026-05-05T00:59:59Z");
    expect(await f.scheduler.tick()).toEqual([]);
    f.at("2026-05-05T01:00:00Z");
    const [run] = await f.scheduler.tick();
    expect(run).toMatchObject({
      trigger: "schedule",
      outcome: "queued",
      dueAt: "2026-05-05T01:00:00.000Z",
      jobIds: [1],
      detail: "1 job(s) queued",
    });
    expect(f.scheduler.get(s.id)).toMatchObject({ nextRunAt: "2026-05-06T01:00:00.000Z", lastRun: run });
    expect(f.changes.at(-1)?.lastRun?.id).toBe(run!.id);
  });

  it("follows daylight saving: a fixed time in the spring-forward gap runs once, when the clocks jump", async () => {
    const f = fixture("2026-03-28T12:00:00Z");
    const s = f.scheduler.create(nightly({ when: { cron: "30 2 * * *", timeZone: "Europe/Berlin" } }));
    expect(s.nextRunAt).toBe("2026-03-29T01:00:00.000Z");
    f.at("2026-03-29T01:00:00Z");
    expect(await f.scheduler.tick()).toHaveLength(1);
    expect(f.scheduler.get(s.id).nextRunAt).toBe("2026-03-30T00:30:00.000Z");
  });

  it("a schedule still being queued is not run again by the next pass, nor by run now meanwhile", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    f.at("2026-05-05T01:00:00Z");
    const release = f.holdRuns();
    const first = f.scheduler.tick();
    const second = f.scheduler.tick(); // the timer firing again while the fleet is still being queued
    const manual = f.scheduler.runNow(s.id);
    release();
    expect(await first).toHaveLength(1);
    expect(await second).toEqual([]);
    expect((await manual).trigger).toBe("manual");
    expect(f.ran).toHaveLength(2); // the due run once, and the manual run after it
    expect(f.scheduler.runs(s.id, 10).map((r) => r.trigger)).toEqual(["manual", "schedule"]);
  });

  it("a one-time run happens once; one in the past is refused", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly({ when: { at: "2026-05-04T12:30:00+02:00" } }));
    expect(s.nextRunAt).toBe("2026-05-04T10:30:00.000Z");
    expect(() => f.scheduler.create(nightly({ when: { at: "2026-05-04T09:00:00Z" } }))).toThrow(
      /when\.at: 2026-05-04T09:00:00Z is not in the future/,
    );
    f.at("2026-05-04T10:30:00Z");
    expect(await f.scheduler.tick()).toHaveLength(1);
    expect(f.scheduler.get(s.id).nextRunAt).toBeNull();
    f.at("2026-05-05T10:30:00Z");
    expect(await f.scheduler.tick()).toEqual([]);
    expect(f.ran).toHaveLength(1);
  });

  it("a run missed while the sidecar was down runs once at start, within the grace period", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    // Down from before 03:00 until 03:40 local (grace: one hour).
    f.at("2026-05-05T01:40:00Z");
    await f.scheduler.start();
    f.scheduler.stop();
    expect(f.ran).toHaveLength(1);
    expect(f.scheduler.get(s.id).lastRun).toMatchObject({
      trigger: "startup",
      outcome: "queued",
      dueAt: "2026-05-05T01:00:00.000Z",
      ranAt: "2026-05-05T01:40:00.000Z",
      detail: "1 job(s) queued; ran 40 min late",
    });
    expect(f.scheduler.get(s.id).nextRunAt).toBe("2026-05-06T01:00:00.000Z");
  });

  it("a run missed by more than the grace period is recorded as missed, not run", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    f.at("2026-05-05T04:00:00Z"); // 3 h late, grace 1 h
    await f.scheduler.start();
    f.scheduler.stop();
    expect(f.ran).toEqual([]);
    expect(f.scheduler.get(s.id).lastRun).toMatchObject({ outcome: "missed", jobIds: [], trigger: "startup" });
    expect(f.scheduler.get(s.id).lastRun!.detail).toMatch(
      /^not run: due at 2026-05-05T01:00:00.000Z, 3 h ago — more than the grace period of 60 min/,
    );
    expect(f.scheduler.get(s.id).nextRunAt).toBe("2026-05-06T01:00:00.000Z");
  });

  it("never a burst: many missed occurrences give one run (the latest), the rest are named", async () => {
    const f = fixture("2026-05-04T10:00:00Z", 10 * MIN);
    const s = f.scheduler.create(nightly({ when: { cron: "*/5 * * * *", timeZone: "UTC" } }));
    f.at("2026-05-04T12:02:00Z"); // 10:05 … 12:00 were due: 24 runs
    const runs = await f.scheduler.tick("startup");
    expect(runs).toHaveLength(1);
    expect(f.ran).toHaveLength(1);
    expect(runs[0]).toMatchObject({ dueAt: "2026-05-04T12:00:00.000Z" });
    expect(runs[0]!.detail).toContain("23 earlier run(s) were not repeated");
    expect(f.scheduler.get(s.id).nextRunAt).toBe("2026-05-04T12:05:00.000Z");
    expect(await f.scheduler.tick()).toEqual([]);
  });

  it("a full disk postpones the run; it happens once space is back, still within the grace period", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    f.at("2026-05-05T01:00:00Z");
    f.failWith(Object.assign(new Error("no space"), { code: "ENOSPC" }));
    expect(await f.scheduler.tick()).toEqual([]);
    expect(f.scheduler.get(s.id)).toMatchObject({ nextRunAt: "2026-05-05T01:00:00.000Z", lastRun: null });
    f.failWith(null);
    f.at("2026-05-05T01:20:00Z");
    expect(await f.scheduler.tick()).toHaveLength(1);
    expect(f.ran).toHaveLength(1);
  });

  it("edits: a rename keeps the next run, new timing recomputes it, disable clears it, re-enable restores it", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    expect(f.scheduler.update(s.id, { name: "renamed" }).nextRunAt).toBe(s.nextRunAt);
    expect(f.scheduler.update(s.id, { when: { cron: "0 4 * * *", timeZone: "UTC" } }).nextRunAt).toBe(
      "2026-05-05T04:00:00.000Z",
    );
    expect(f.scheduler.update(s.id, { enabled: false }).nextRunAt).toBeNull();
    expect(f.scheduler.update(s.id, { enabled: true }).nextRunAt).toBe("2026-05-05T04:00:00.000Z");
    // A one-time schedule that ran can be renamed, but not re-enabled for a time that is past.
    const once = f.scheduler.create(nightly({ when: { at: "2026-05-04T11:00:00Z" } }));
    f.at("2026-05-04T11:00:00Z");
    await f.scheduler.tick();
    expect(f.scheduler.get(once.id).nextRunAt).toBeNull();
    expect(f.scheduler.update(once.id, { name: "done" }).name).toBe("done");
    f.scheduler.update(once.id, { enabled: false });
    expect(() => f.scheduler.update(once.id, { enabled: true })).toThrow(ValidationError);
    f.scheduler.remove(s.id);
    expect(f.changes.at(-1)).toBeNull();
    expect(() => f.scheduler.get(s.id)).toThrow(/no schedule with id/);
  });

  it("run now leaves the next run alone; the history keeps the newest runs", async () => {
    const f = fixture();
    const s = f.scheduler.create(nightly());
    for (let i = 0; i < RUNS_KEPT + 5; i++) await f.scheduler.runNow(s.id);
    const runs = f.scheduler.runs(s.id, 100);
    expect(runs).toHaveLength(RUNS_KEPT);
    expect(runs[0]).toMatchObject({ trigger: "manual", jobIds: [RUNS_KEPT + 5] });
    expect(f.scheduler.get(s.id).nextRunAt).toBe(s.nextRunAt);
  });
});
