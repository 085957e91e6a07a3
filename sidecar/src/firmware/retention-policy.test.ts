import { describe, expect, it } from "vitest";
import { retentionPlan, type BuiltImage, type RetentionInput } from "./retention-policy.js";

const KB = 1024;
const file = (sha256: string, size = 100 * KB, lastUsedAt = 0) => ({ sha256, size, lastUsedAt });
interface Build {
  deviceId: string;
  at: number;
  images: string[];
}
const build = (deviceId: string, at: number, ...images: string[]): Build => ({ deviceId, at, images });
/** Each build's images with its rank among its device's builds, newest first (what retention.ts asks SQL for). */
const ranked = (builds: Build[]): BuiltImage[] =>
  builds.flatMap((b) => {
    const newer = new Set(builds.filter((o) => o.deviceId === b.deviceId && o.at > b.at).map((o) => o.at));
    return b.images.map((sha256) => ({ sha256, deviceId: b.deviceId, at: b.at, rank: newer.size }));
  });

function plan(over: Partial<Omit<RetentionInput, "builtImages">> & { builds?: Build[] }) {
  const { builds = [], ...rest } = over;
  const p = retentionPlan({
    files: [],
    builtImages: ranked(builds),
    pinned: new Set(),
    referenced: new Set(),
    keepPerDevice: 2,
    maxBytes: 0,
    unreferencedGraceMs: 60_000,
    now: 1_000_000,
    ...rest,
  });
  return { ...p, removed: p.remove.map((r) => r.sha256).sort() };
}

describe("firmware retention policy", () => {
  it("keeps each device's newest builds (all their images) and removes older ones with the reason", () => {
    const p = plan({
      files: ["a1", "a1f", "a2", "a3", "b1"].map((s) => file(s)),
      builds: [build("a", 1, "a1", "a1f"), build("a", 3, "a3"), build("a", 2, "a2"), build("b", 1, "b1")],
    });
    expect(p.removed).toEqual(["a1", "a1f"]);
    expect(p.remove[0]!.reason).toBe("older than the 2 newest builds of a");
    expect(p.keptBytes).toBe(3 * 100 * KB);
  });

  it("never removes what a device runs or has staged, however old", () => {
    const p = plan({
      files: ["a1", "a2", "a3", "a4"].map((s) => file(s)),
      builds: [1, 2, 3, 4].map((n) => build("a", n, `a${n}`)),
      pinned: new Set(["a1"]),
    });
    expect(p.removed).toEqual(["a2"]);
  });

  it("an image built again stays while a newer build names it", () => {
    const p = plan({
      files: ["x", "y"].map((s) => file(s)),
      builds: [build("a", 1, "x"), build("a", 2, "y"), build("a", 3, "x")],
      keepPerDevice: 1,
    });
    expect(p.removed).toEqual(["y"]);
  });

  it("removes unreferenced uploads only after the grace period", () => {
    const p = plan({
      files: [file("old-orphan", 10, 1_000_000 - 120_000), file("new-orphan", 10, 1_000_000 - 1000)],
    });
    expect(p.removed).toEqual(["old-orphan"]);
    expect(p.remove[0]!.reason).toMatch(/no job or upload refers to it/);
  });

  it("never removes as unreferenced an image a job's result or an attestation names; the cap still may", () => {
    const old = 1_000_000 - 120_000;
    const files = [file("named", 10, old), file("orphan", 10, old)];
    expect(plan({ files, referenced: new Set(["named"]) }).removed).toEqual(["orphan"]);
    const capped = plan({ files: [file("named", 100 * KB, old)], referenced: new Set(["named"]), maxBytes: 50 * KB });
    expect(capped.removed).toEqual(["named"]);
    expect(capped.remove[0]!.reason).toMatch(/size cap/);
  });

  it("under a size cap removes the oldest unpinned images first, never pinned ones", () => {
    const p = plan({
      files: ["a1", "a2", "b1", "b2"].map((s) => file(s)),
      builds: [build("a", 1, "a1"), build("a", 4, "a2"), build("b", 2, "b1"), build("b", 3, "b2")],
      pinned: new Set(["a1"]),
      maxBytes: 250 * KB,
    });
    // 400 KB kept by the count rule; a1 is pinned, so b1 (2) then b2 (3) go.
    expect(p.removed).toEqual(["b1", "b2"]);
    expect(p.remove.every((r) => r.reason.includes("size cap"))).toBe(true);
    expect(p.keptBytes).toBe(200 * KB); // a2 (the newest) and the pinned a1
  });
});
