import { describe, expect, it } from "vitest";
import { pool } from "./pool.js";

describe("pool", () => {
  it("runs every item, at most n at a time, and lets other work in while items finish without I/O", async () => {
    const items = Array.from({ length: 400 }, (_, i) => i);
    const done: number[] = [];
    let running = 0;
    let most = 0;
    let otherWorkRanAfter: number | null = null;
    setImmediate(() => (otherWorkRanAfter = done.length));
    await pool(items, 4, async (item) => {
      running++;
      most = Math.max(most, running);
      const until = performance.now() + 0.1; // a kept read: CPU only, resolved at once
      while (performance.now() < until);
      done.push(item);
      running--;
    });
    expect(done.sort((a, b) => a - b)).toEqual(items);
    expect(most).toBeLessThanOrEqual(4);
    // 400 × 0.1 ms = 40 ms of work: the event loop had its turn long before the end.
    expect(otherWorkRanAfter).not.toBeNull();
    expect(otherWorkRanAfter!).toBeLessThan(items.length);
  });
});
