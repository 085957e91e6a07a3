import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 0.5 s up to the 30 s cap", () => {
    const b = new Backoff({ random: () => 0.5 }); // no jitter at the midpoint
    const delays = Array.from({ length: 10 }, () => b.next());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it("jitters within ±20 % and never exceeds the cap", () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    expect(low.next()).toBe(400);
    expect(high.next()).toBe(600);
    for (let i = 0; i < 20; i++) expect(high.next()).toBeLessThanOrEqual(30_000);
  });

  it("starts over after reset", () => {
    const b = new Backoff({ random: () => 0.5 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(500);
  });
});
