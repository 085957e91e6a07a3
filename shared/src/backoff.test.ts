import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 0.5 s up to the 30 s cap", () => {
    const b = new Backoff({ random: () => 0.999999 }); // the top of each window
    const delays = Array.from({ length: 10 }, () => b.next());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it("jitters over the upper half of each window and never exceeds the cap", () => {
    const low = new Backoff({ minMs: 2000, maxMs: 8000, random: () => 0 });
    expect([low.next(), low.next(), low.next(), low.next()]).toEqual([1000, 2000, 4000, 4000]);
    const high = new Backoff({ random: () => 0.999999 });
    for (let i = 0; i < 40; i++) expect(high.next()).toBeLessThanOrEqual(30_000);
  });

  it("spreads a fleet's reconnects: delays drawn with real randomness are not all equal", () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff().next()));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(250);
      expect(d).toBeLessThanOrEqual(500);
    }
  });

  it("starts over after reset", () => {
    const b = new Backoff({ random: () => 0.999999 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(500);
  });
});
