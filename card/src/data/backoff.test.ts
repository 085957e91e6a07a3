import { expect, it } from "vitest";
import { Backoff } from "./backoff.js";

it("grows exponentially with jitter, caps, and resets", () => {
  const b = new Backoff(500, 4000, () => 1);
  expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 4000]);
  b.reset();
  expect(b.next()).toBe(500);
  const low = new Backoff(500, 4000, () => 0);
  expect(low.next()).toBe(250);
});
