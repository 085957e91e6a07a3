import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test-support/helpers.js";
import { BuildCache, chooseEvictions, folderBytes } from "./build-cache.js";
import { DeviceLocks } from "./device-locks.js";

const KB = 1024;

/** A device folder with `kb` KiB of build output, last used `ageS` seconds ago. */
function folder(stateDir: string, id: string, kb: number, ageS: number): void {
  const dir = path.join(stateDir, "builds", id);
  mkdirSync(path.join(dir, ".esphome", "build"), { recursive: true });
  writeFileSync(path.join(dir, ".esphome", "build", "firmware.bin"), Buffer.alloc(kb * KB, 1));
  const manifest = path.join(dir, ".forge-files.json");
  writeFileSync(manifest, "[]\n");
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(manifest, t, t);
}

const exists = (stateDir: string, id: string) => existsSync(path.join(stateDir, "builds", id));

describe("chooseEvictions", () => {
  const e = (deviceId: string, bytes: number, lastUsedMs: number) => ({ deviceId, bytes, lastUsedMs });
  it("evicts least recently used first until under the cap, skipping busy folders", () => {
    const entries = [e("new", 40, 300), e("old", 30, 100), e("mid", 30, 200)];
    expect(chooseEvictions(entries, 100, () => false)).toEqual([]);
    expect(chooseEvictions(entries, 70, () => false)).toEqual(["old"]);
    expect(chooseEvictions(entries, 50, () => false)).toEqual(["old", "mid"]);
    expect(chooseEvictions(entries, 70, (id) => id === "old")).toEqual(["mid"]);
    expect(chooseEvictions(entries, 0, () => true)).toEqual([]);
  });
});

describe("BuildCache", () => {
  it("measures folders on disk", async () => {
    const s = tempDir();
    folder(s, "a", 64, 0);
    expect(await folderBytes(path.join(s, "builds", "a"))).toBeGreaterThanOrEqual(64 * KB);
    expect(await folderBytes(path.join(s, "builds", "missing"))).toBe(0);
  });

  it("after a job, evicts whole idle folders, oldest first, never one in use, and logs it", async () => {
    const s = tempDir();
    const locks = new DeviceLocks();
    const lines: string[] = [];
    const cache = new BuildCache({ stateDir: s, maxBytes: 350 * KB, locks, log: (l) => void lines.push(l) });
    folder(s, "oldest", 100, 300);
    folder(s, "older", 100, 200);
    folder(s, "recent", 100, 100);
    expect(await cache.jobEnded("recent")).toEqual([]); // ~312 KiB on disk: under the cap
    folder(s, "newest", 100, 0);
    const release = locks.tryAcquire("oldest")!; // a job holds it
    expect(await cache.jobEnded("newest")).toEqual(["older"]);
    expect([exists(s, "oldest"), exists(s, "older"), exists(s, "recent"), exists(s, "newest")]).toEqual([
      true,
      false,
      true,
      true,
    ]);
    expect(lines.join("\n")).toMatch(/build cache: evicted older \(0\.1 MB, least recently used\)/);
    release();
    // The job in "oldest" used it just now: it is the newest, so "recent" goes when the cap is crossed again.
    folder(s, "oldest", 150, -10);
    expect(await cache.jobEnded("oldest")).toEqual(["recent"]);
  });

  it("no cap (0): nothing is ever evicted", async () => {
    const s = tempDir();
    const cache = new BuildCache({ stateDir: s, maxBytes: 0, locks: new DeviceLocks(), log: () => {} });
    folder(s, "a", 200, 10);
    expect(await cache.jobEnded("a")).toEqual([]);
    expect(exists(s, "a")).toBe(true);
  });

  it("clean: one device or all idle ones; a folder in use stays", async () => {
    const s = tempDir();
    const locks = new DeviceLocks();
    const lines: string[] = [];
    const cache = new BuildCache({ stateDir: s, maxBytes: 0, locks, log: (l) => void lines.push(l) });
    for (const id of ["a", "b", "busy"]) folder(s, id, 4, 1);
    const release = locks.tryAcquire("busy")!;
    expect(await cache.clean("a")).toEqual({ removed: ["a"], busy: [] });
    expect(await cache.clean("busy")).toEqual({ removed: [], busy: ["busy"] });
    expect(await cache.clean()).toEqual({ removed: ["b"], busy: ["busy"] });
    expect(exists(s, "busy")).toBe(true);
    expect(lines.at(-1)).toBe("cleaned 1 build folder(s); busy, kept: busy");
    release();
  });
});
