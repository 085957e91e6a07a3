import { describe, expect, it } from "vitest";
import { CronError, cronProblem, isTimeZone, nextCronRun, parseCron, wallTime } from "./cron.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** The next `n` runs after `from` (an ISO instant). */
function runs(expr: string, from: string, tz: string, n = 4): (string | null)[] {
  const spec = parseCron(expr);
  const out: (string | null)[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextCronRun(spec, t, tz);
    out.push(iso(next));
    if (next === null) break;
    t = next;
  }
  return out;
}

describe("parsing", () => {
  it("reads lists, ranges, steps, names and macros", () => {
    const s = parseCron("0,30 9-17/4 1,15 JAN-mar mon-FRI");
    expect(s.minutes).toEqual([0, 30]);
    expect(s.hours).toEqual([9, 13, 17]);
    expect([...s.days]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 2, 3]);
    expect([...s.weekdays]).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron("5/20 * * * *").minutes).toEqual([5, 25, 45]);
    expect([...parseCron("0 0 * * 7").weekdays]).toEqual([0]);
    expect(parseCron("@daily")).toMatchObject({ minutes: [0], hours: [0], source: "@daily" });
    expect(parseCron("@hourly").hourStar).toBe(true);
  });

  it("refuses what it cannot read, saying which field and why", () => {
    expect(() => parseCron("* * * *")).toThrow(/expected 5 fields/);
    expect(() => parseCron("60 * * * *")).toThrow("minute: 60 is outside 0–59");
    expect(() => parseCron("* 5-2 * * *")).toThrow("hour: range 5-2 runs backwards");
    expect(() => parseCron("* * * FOO *")).toThrow(/month: "FOO" is not a number or a name/);
    expect(() => parseCron("*/0 * * * *")).toThrow(/step 0/);
    expect(() => parseCron("@reboot")).toThrow(CronError);
    expect(cronProblem("0 0 30 2 *")).toBe("the expression matches no date");
    expect(cronProblem("0 3 * * *")).toBeNull();
    expect(cronProblem("nope")).toMatch(/expected 5 fields/);
  });
});

describe("next run", () => {
  it("steps through minutes, days, months and weekdays in UTC", () => {
    expect(runs("*/20 * * * *", "2026-05-01T10:05:00Z", "UTC", 3)).toEqual([
      "2026-05-01T10:20:00.000Z",
      "2026-05-01T10:40:00.000Z",
      "2026-05-01T11:00:00.000Z",
    ]);
    // Strictly after: an instant that is itself a run time gives the following one.
    expect(runs("0 3 * * *", "2026-05-01T03:00:00Z", "UTC", 1)).toEqual(["2026-05-02T03:00:00.000Z"]);
    expect(runs("0 0 1 * *", "2026-01-31T12:00:00Z", "UTC", 2)).toEqual([
      "2026-02-01T00:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
    ]);
    expect(runs("0 0 29 2 *", "2026-01-01T00:00:00Z", "UTC", 1)).toEqual(["2028-02-29T00:00:00.000Z"]);
    expect(runs("0 0 30 2 *", "2026-01-01T00:00:00Z", "UTC", 1)).toEqual([null]);
  });

  it("combines the day fields like Vixie cron: either when both are restricted, both when one is *", () => {
    // 2026-06-01 is a Monday. Restricted both: the 13th or any Friday.
    expect(runs("0 0 13 * 5", "2026-06-01T00:00:00Z", "UTC", 3)).toEqual([
      "2026-06-05T00:00:00.000Z",
      "2026-06-12T00:00:00.000Z",
      "2026-06-13T00:00:00.000Z",
    ]);
    // `*/2` starts with `*`: odd days that are also weekdays 1–5.
    expect(runs("0 0 */2 * 1-5", "2026-06-01T00:00:00Z", "UTC", 3)).toEqual([
      "2026-06-03T00:00:00.000Z",
      "2026-06-05T00:00:00.000Z",
      "2026-06-09T00:00:00.000Z",
    ]);
  });

  it("runs at the wall time of the schedule's zone", () => {
    expect(runs("0 3 * * *", "2026-07-01T00:00:00Z", "Europe/Berlin", 1)).toEqual(["2026-07-01T01:00:00.000Z"]);
    expect(runs("0 3 * * *", "2026-01-10T00:00:00Z", "America/New_York", 1)).toEqual(["2026-01-10T08:00:00.000Z"]);
    expect(runs("30 3 * * *", "2026-01-10T00:00:00Z", "Asia/Kolkata", 1)).toEqual(["2026-01-10T22:00:00.000Z"]);
  });

  describe("daylight saving", () => {
    // Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST (02:xx does not exist); 2026-10-25 03:00 CEST → 02:00 CET (02:xx twice).
    it("a fixed time in the spring-forward gap runs once, when the clocks jump", () => {
      expect(runs("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", 3)).toEqual([
        "2026-03-29T01:00:00.000Z", // 03:00 CEST, the moment 02:00 became 03:00
        "2026-03-30T00:30:00.000Z", // 02:30 CEST
        "2026-03-31T00:30:00.000Z",
      ]);
      // Two fixed slots inside the gap still give one run.
      expect(runs("0,30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", 2)).toEqual([
        "2026-03-29T01:00:00.000Z",
        "2026-03-30T00:00:00.000Z",
      ]);
    });

    it("an hourly-style expression skips the hour that does not exist, without a catch-up run", () => {
      expect(runs("30 * * * *", "2026-03-29T00:00:00Z", "Europe/Berlin", 3)).toEqual([
        "2026-03-29T00:30:00.000Z", // 01:30 CET
        "2026-03-29T01:30:00.000Z", // 03:30 CEST: one real hour later
        "2026-03-29T02:30:00.000Z",
      ]);
    });

    it("a fixed time in the fall-back overlap runs once, at its first occurrence", () => {
      expect(runs("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin", 3)).toEqual([
        "2026-10-25T00:30:00.000Z", // 02:30 CEST (the first 02:30)
        "2026-10-26T01:30:00.000Z", // 02:30 CET the next day
        "2026-10-27T01:30:00.000Z",
      ]);
    });

    it("an hourly-style expression runs in both occurrences of the repeated hour", () => {
      expect(runs("30 * * * *", "2026-10-24T23:45:00Z", "Europe/Berlin", 4)).toEqual([
        "2026-10-25T00:30:00.000Z", // 02:30 CEST
        "2026-10-25T01:30:00.000Z", // 02:30 CET
        "2026-10-25T02:30:00.000Z", // 03:30 CET
        "2026-10-25T03:30:00.000Z",
      ]);
    });

    it("works the same across the date line and in the southern hemisphere", () => {
      // America/New_York: 2026-03-08 02:00 → 03:00; 2026-11-01 02:00 → 01:00.
      expect(runs("15 2 * * *", "2026-03-07T12:00:00Z", "America/New_York", 2)).toEqual([
        "2026-03-08T07:00:00.000Z", // 03:00 EDT
        "2026-03-09T06:15:00.000Z",
      ]);
      expect(runs("30 1 * * *", "2026-10-31T12:00:00Z", "America/New_York", 2)).toEqual([
        "2026-11-01T05:30:00.000Z", // 01:30 EDT, not again at 01:30 EST
        "2026-11-02T06:30:00.000Z",
      ]);
      // Australia/Sydney: 2026-04-05 03:00 AEDT → 02:00 AEST; 2026-10-04 02:00 AEST → 03:00 AEDT.
      expect(runs("30 2 * * *", "2026-04-04T00:00:00Z", "Australia/Sydney", 2)).toEqual([
        "2026-04-04T15:30:00.000Z", // 02:30 AEDT
        "2026-04-05T16:30:00.000Z", // 02:30 AEST the next day
      ]);
      expect(runs("30 2 * * *", "2026-10-03T00:00:00Z", "Australia/Sydney", 2)).toEqual([
        "2026-10-03T16:00:00.000Z", // 03:00 AEDT: the jump
        "2026-10-04T15:30:00.000Z",
      ]);
      // Lord Howe Island moves by 30 minutes: 2026-04-05 02:00 → 01:30.
      expect(runs("45 1 * * *", "2026-04-04T00:00:00Z", "Australia/Lord_Howe", 2)).toEqual([
        "2026-04-04T14:45:00.000Z", // 01:45 +11:00, the first one
        "2026-04-05T15:15:00.000Z", // 01:45 +10:30
      ]);
    });
  });

  it("knows time zones and wall times", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(wallTime(Date.parse("2026-07-01T01:00:00Z"), "Europe/Berlin")).toBe(Date.parse("2026-07-01T03:00:00Z"));
  });
});
