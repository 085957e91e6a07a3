import { describe, expect, it } from "vitest";
import { Turns } from "./turns.js";

describe("Turns", () => {
  it("gives each caller a loop iteration of its own, in order, with timers running between them", async () => {
    const turns = new Turns();
    const order: string[] = [];
    // A 0 ms timer only fires between iterations: it lands before the last turn, not after all of them.
    const timer = new Promise<void>((resolve) => setTimeout(() => (order.push("timer"), resolve()), 0));
    const work = ["a", "b", "c"].map(async (name) => {
      await turns.next();
      order.push(name);
      const t0 = performance.now();
      while (performance.now() - t0 < 5); // heavy, synchronous
    });
    expect(turns.pending).toBe(3);
    await Promise.all([...work, timer]);
    expect(order.filter((o) => o !== "timer")).toEqual(["a", "b", "c"]);
    expect(order.indexOf("timer")).toBeLessThan(3); // not after all of them
    expect(turns.pending).toBe(0);
  });
});
