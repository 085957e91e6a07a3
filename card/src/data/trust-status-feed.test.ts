import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TrustStatus } from "@esphome-forge/shared";
import { TrustStatusFeed, type TrustStatusUpdate } from "./trust-status-feed.js";

const status = (version: number) => ({ policy: "enforce", revocations: { version } }) as unknown as TrustStatus;

describe("TrustStatusFeed", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fetches for its first listener, coalesces a burst of changes into one fetch, and stops with the last listener", async () => {
    let n = 0;
    const load = vi.fn(async () => status(++n));
    const feed = new TrustStatusFeed(load, 400);
    feed.refresh(); // nobody listens: nothing
    await vi.advanceTimersByTimeAsync(1000);
    expect(load).not.toHaveBeenCalled();

    const seen: TrustStatusUpdate[] = [];
    const off = feed.subscribe((u) => seen.push(u));
    expect(seen).toEqual([{ status: null, error: null }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(1);
    expect(seen.at(-1)!.status!.revocations!.version).toBe(1);

    for (let i = 0; i < 50; i++) feed.refresh();
    await vi.advanceTimersByTimeAsync(400);
    expect(load).toHaveBeenCalledTimes(2);
    expect(seen.at(-1)!.status!.revocations!.version).toBe(2);

    off();
    feed.refresh();
    await vi.advanceTimersByTimeAsync(1000);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("keeps the last status when a fetch fails and says why", async () => {
    const load = vi
      .fn<() => Promise<TrustStatus>>()
      .mockResolvedValueOnce(status(1))
      .mockRejectedValueOnce(new Error("HTTP 500"));
    const feed = new TrustStatusFeed(load, 10);
    const seen: TrustStatusUpdate[] = [];
    feed.subscribe((u) => seen.push(u));
    await vi.advanceTimersByTimeAsync(0);
    feed.refresh();
    await vi.advanceTimersByTimeAsync(10);
    expect(seen.at(-1)).toEqual({ status: status(1), error: "HTTP 500" });
  });
});
