import { describe, expect, it } from "vitest";
import { DurationModel } from "./duration-model.js";

const placed = (id: number, deviceId: string, startedAtMs: number | null) => ({
  id,
  deviceId,
  workerId: "w1",
  startedAtMs,
});

describe("DurationModel: when does a busy warm worker free a slot?", () => {
  it("counts from each running job's start and takes the first to end", () => {
    const m = new DurationModel();
    m.record("kitchen", 40_000, true);
    m.record("porch", 90_000, true);
    const now = 1_000_000;
    const running = [placed(1, "porch", now - 10_000), placed(2, "kitchen", now - 15_000)];
    // kitchen: 40 s expected, 15 s in → 25 s left; porch: 90 − 10 = 80 s left.
    expect(m.expectedFreeInMs(running, now, () => true)).toBe(25_000);
  });

  it("uses the cold duration for a job that went to a cold worker, and 0 once a job is overdue", () => {
    const m = new DurationModel();
    m.record("kitchen", 30_000, false); // cold 30 s; warm assumed a third of it
    const now = 500_000;
    expect(m.expectedFreeInMs([placed(1, "kitchen", now - 20_000)], now, () => false)).toBe(10_000);
    expect(m.expectedFreeInMs([placed(1, "kitchen", now - 20_000)], now, () => true)).toBe(0);
  });

  it("a job with no start time yet has its whole expected duration ahead; no running job means no slot soon", () => {
    const m = new DurationModel();
    m.record("kitchen", 12_000, true);
    expect(m.expectedFreeInMs([placed(1, "kitchen", null)], 7, () => true)).toBe(12_000);
    expect(m.expectedFreeInMs([], 7, () => true)).toBe(Infinity);
  });
});
