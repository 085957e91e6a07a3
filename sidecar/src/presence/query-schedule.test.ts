import { describe, expect, it } from "vitest";
import { QuerySchedule } from "./query-schedule.js";

describe("query schedule", () => {
  it("doubles from 1 s up to a cap below a third of the silence, and starts over on reset", () => {
    let silence = 180_000;
    const s = new QuerySchedule({ offlineAfterMs: () => silence });
    const steps = Array.from({ length: 9 }, () => s.step());
    expect(steps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    s.reset();
    expect(s.step()).toBe(1000);
    silence = 6000; // a shorter silence (setting) caps the next steps at once
    expect([s.step(), s.step(), s.step()]).toEqual([2000, 2000, 2000]);
    silence = 1000;
    expect(s.step()).toBe(1000); // never below the base
  });
});
