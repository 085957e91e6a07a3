import { describe, expect, it } from "vitest";
import { cronPreview } from "./schedule-form.js";

describe("schedule form", () => {
  it("previews the next three runs, or says why there are none", () => {
    const now = Date.parse("2026-03-28T12:00:00Z");
    expect(cronPreview("30 2 * * *", "Europe/Berlin", now).runs.map((t) => new Date(t).toISOString())).toEqual([
      "2026-03-29T01:00:00.000Z", // the clocks jump past 02:30 that night: it runs at the jump
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
    expect(cronPreview("0 0 30 2 *", "UTC", now)).toEqual({ runs: [], error: "the expression matches no date" });
    expect(cronPreview("0 3 * * *", "Nowhere/Land", now).error).toBe("unknown time zone Nowhere/Land");
    expect(cronPreview("0 3 * *", "UTC", now).error).toMatch(/expected 5 fields/);
  });
});
