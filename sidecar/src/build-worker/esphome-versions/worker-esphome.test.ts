import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test-support/helpers.js";
import { WorkerEsphome } from "./worker-esphome.js";

const FAKE_PYTHON = fileURLToPath(new URL("../../../test-support/fake-python.sh", import.meta.url));

function setup(localVersion: string | null) {
  const dir = tempDir("forge-wesphome-");
  const lines: string[] = [];
  let changes = 0;
  const w = new WorkerEsphome({
    stateDir: dir,
    localBin: "/opt/esphome/bin/esphome",
    localVersion: Promise.resolve(localVersion),
    python: FAKE_PYTHON,
    keep: 3,
    env: { ...process.env, FORGE_CACHE: path.join(dir, "cache") },
    onChange: () => void changes++,
  });
  return { w, dir, log: (l: string) => void lines.push(l), lines, changes: () => changes };
}

describe("WorkerEsphome", () => {
  it("runs the local binary for jobs naming no version or its version, installs any other", async () => {
    const { w, dir, log, changes } = setup("2026.6.5");
    expect(await w.acquire(null, log)).toMatchObject({ version: "2026.6.5", bin: "/opt/esphome/bin/esphome" });
    expect(await w.acquire("2026.6.5", log)).toMatchObject({ version: "2026.6.5", bin: "/opt/esphome/bin/esphome" });
    expect(w.versions.installed()).toEqual([]);
    const other = await w.acquire("2026.5.1", log);
    expect(other).toMatchObject({
      version: "2026.5.1",
      bin: path.join(dir, "esphome", "2026.5.1", "venv", "bin", "esphome"),
    });
    other.release();
    expect(changes()).toBe(1);
    expect(w.reported()).toEqual(["2026.6.5", "2026.5.1"]);
  });

  it("without a usable local binary: a job naming no version uses the newest installed one, else the binary as given", async () => {
    const { w, log } = setup(null);
    expect(await w.acquire(null, log)).toMatchObject({ version: null, bin: "/opt/esphome/bin/esphome" });
    (await w.acquire("2026.5.1", log)).release();
    expect(await w.acquire(null, log)).toMatchObject({ version: "2026.5.1" });
    expect(w.reported()).toEqual(["2026.5.1"]);
  });

  it("an unusable --python fails the install with a clear reason, and is looked for again next time", async () => {
    const dir = tempDir("forge-wesphome-");
    const w = new WorkerEsphome({
      stateDir: dir,
      localBin: "esphome",
      localVersion: Promise.resolve(null),
      python: path.join(dir, "no-python"),
      keep: 3,
      env: { ...process.env, FORGE_CACHE: path.join(dir, "cache") },
    });
    await expect(w.acquire("2026.5.1", () => {})).rejects.toThrow(/no-python is not a usable Python 3\.11\+/);
    await expect(w.acquire("2026.5.1", () => {})).rejects.toThrow(/not a usable Python/);
  });
});
