import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./failure-limiter.js";

describe("FailureLimiter", () => {
  it("lets a burst of wrong tokens through, then asks the address to wait until one drains", () => {
    let now = 0;
    const l = new FailureLimiter({ burst: 3, drainMs: 2000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterSeconds("a")).toBe(0);
      l.fail("a");
    }
    expect(l.retryAfterSeconds("a")).toBe(2);
    expect(l.retryAfterSeconds("b")).toBe(0);
    now += 1000;
    expect(l.retryAfterSeconds("a")).toBe(1);
    now += 1000;
    expect(l.retryAfterSeconds("a")).toBe(0);
    l.fail("a");
    expect(l.retryAfterSeconds("a")).toBe(2); // one try per drain period from now on
  });

  it("forgets the least recently failing addresses beyond its size", () => {
    const l = new FailureLimiter({ burst: 1, drainMs: 60_000, maxClients: 2, now: () => 0 });
    l.fail("a");
    l.fail("b");
    l.fail("c");
    expect(l.retryAfterSeconds("a")).toBe(0);
    expect(l.retryAfterSeconds("b")).toBeGreaterThan(0);
    expect(l.retryAfterSeconds("c")).toBeGreaterThan(0);
  });
});
