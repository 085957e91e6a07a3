import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test-support/helpers.js";
import { EsphomeVersions, type EsphomeVersionsOptions } from "./version-manager.js";
import { MARKER, pipRequiresPython, venvBin } from "./venv-install.js";

const FAKE_PYTHON = fileURLToPath(new URL("../../../test-support/fake-python.sh", import.meta.url));

function setup(extra: Partial<EsphomeVersionsOptions> = {}, env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir("forge-versions-");
  const pipLog = path.join(dir, "pip.log");
  const opts: EsphomeVersionsOptions = {
    root: path.join(dir, "esphome"),
    sharedRoot: null,
    python: async () => FAKE_PYTHON,
    keep: 3,
    env: { ...process.env, FAKE_PIP_LOG: pipLog, ...env },
    // pip and venv get the build allow-list only: the fake's knobs are passed on like `--build-env` would.
    extraEnv: ["FAKE_PIP_LOG", "FAKE_PIP_FAIL_ONCE", "FAKE_PIP_DELAY", "FAKE_PYTHON_VERSION"],
    ...extra,
  };
  const lines: string[] = [];
  const log = (l: string) => void lines.push(l);
  const pipRuns = () => (existsSync(pipLog) ? readFileSync(pipLog, "utf8").trim().split("\n") : []);
  return { dir, opts, m: new EsphomeVersions(opts), lines, log, pipRuns };
}

describe("EsphomeVersions (fake python/pip)", () => {
  it("installs a version into its own venv, once, and reports it", async () => {
    const { m, opts, log, pipRuns } = setup();
    const lease = await m.acquire("2026.5.1", log);
    expect(lease.version).toBe("2026.5.1");
    expect(lease.bin).toBe(venvBin(path.join(opts.root, "2026.5.1"), "esphome"));
    expect(existsSync(path.join(opts.root, "2026.5.1", MARKER))).toBe(true);
    lease.release();
    (await m.acquire("2026.5.1", log)).release();
    expect(pipRuns()).toEqual(["start 2026.5.1", "end 2026.5.1"]);
    expect(m.installed()).toEqual(["2026.5.1"]);
  });

  it("never installs the same version twice at once: in one process, and across managers sharing a folder", async () => {
    const { m, opts, log, pipRuns } = setup({}, { FAKE_PIP_DELAY: "0.4" });
    const other = new EsphomeVersions(opts); // stands in for a second worker process on the same state folder
    const leases = await Promise.all([
      m.acquire("2026.5.1", log),
      m.acquire("2026.5.1", log),
      other.acquire("2026.5.1", log),
    ]);
    expect(new Set(leases.map((l) => l.bin)).size).toBe(1);
    expect(pipRuns()).toEqual(["start 2026.5.1", "end 2026.5.1"]);
    expect(existsSync(path.join(opts.root, ".2026.5.1.lock"))).toBe(false);
  });

  it("a failed install leaves nothing behind, says why, and the next job retries cleanly", async () => {
    const { dir, m, opts, lines, log, pipRuns } = setup();
    const failOnce = path.join(dir, "fail-once");
    writeFileSync(failOnce, "");
    const m2 = new EsphomeVersions({ ...opts, env: { ...opts.env, FAKE_PIP_FAIL_ONCE: failOnce } });
    await expect(m2.acquire("2026.5.1", log)).rejects.toThrow(
      /installing ESPHome 2026\.5\.1 failed: pip install esphome==2026\.5\.1 failed \(exit code 1\): ERROR: .*No space left/,
    );
    expect(existsSync(path.join(opts.root, "2026.5.1"))).toBe(false);
    expect(m2.installed()).toEqual([]);
    expect(lines.some((l) => l.includes("No space left on device"))).toBe(true);
    const lease = await m2.acquire("2026.5.1", log);
    expect(readFileSync(lease.bin, "utf8")).toContain("2026.5.1");
    expect(pipRuns()).toEqual(["start 2026.5.1", "start 2026.5.1", "end 2026.5.1"]);
    void m;
  });

  it("a release the interpreter cannot run fails with pip's Requires-Python reason and the interpreter's version", async () => {
    const { m, opts, log, pipRuns } = setup({}, { FAKE_PYTHON_VERSION: "3.11.2" });
    await expect(m.acquire("2026.10.0", log)).rejects.toThrow(
      `installing ESPHome 2026.10.0 failed: ESPHome 2026.10.0 requires Python <3.15,>=3.12.0, but this worker's interpreter ${FAKE_PYTHON} is Python 3.11.2; give the worker a Python that can run it with --python PATH (or FORGE_PYTHON)`,
    );
    expect(existsSync(path.join(opts.root, "2026.10.0"))).toBe(false);
    // An older release that 3.11 can run still installs with the same interpreter.
    (await m.acquire("2026.6.5", log)).release();
    expect(pipRuns()).toEqual(["start 2026.10.0", "start 2026.6.5", "end 2026.6.5"]);
  });

  it("wipes a half-finished install (no marker) and redoes it", async () => {
    const { m, opts, lines, log, pipRuns } = setup();
    const half = path.join(opts.root, "2026.5.1", "venv", "bin");
    mkdirSync(half, { recursive: true });
    writeFileSync(path.join(half, "esphome"), "#!/bin/sh\necho broken\n", { mode: 0o755 });
    expect(m.installed()).toEqual([]);
    const lease = await m.acquire("2026.5.1", log);
    expect(readFileSync(lease.bin, "utf8")).toContain("Version: %s".replace("%s", "2026.5.1"));
    expect(lines.some((l) => l.includes("removing an unfinished install"))).toBe(true);
    expect(pipRuns()).toHaveLength(2);
  });

  it("keeps the N most recently used versions, never one in use", async () => {
    const { m, opts, log } = setup({ keep: 2 });
    const age = (v: string, secondsAgo: number) => {
      const t = new Date(Date.now() - secondsAgo * 1000);
      utimesSync(path.join(opts.root, v, MARKER), t, t);
    };
    const a = await m.acquire("2026.1.0", log); // held by a running job throughout
    age("2026.1.0", 300);
    (await m.acquire("2026.2.0", log)).release();
    age("2026.2.0", 200);
    (await m.acquire("2026.3.0", log)).release();
    // 2026.1.0 is the oldest but in use: 2026.2.0 goes instead.
    expect(m.installed()).toEqual(["2026.3.0", "2026.1.0"]);
    a.release();
    (await m.acquire("2026.2.0", log)).release(); // reinstalled, now the newest; 2026.1.0 is the LRU
    expect(m.installed()).toEqual(["2026.2.0", "2026.3.0"]);
    expect(existsSync(path.join(opts.root, "2026.1.0"))).toBe(false);
  });

  it("reuses a complete install in the shared cache without installing, and refuses bad versions", async () => {
    const { dir, log, pipRuns } = setup();
    const shared = path.join(dir, "shared");
    const bin = venvBin(path.join(shared, "2026.6.5"), "esphome");
    mkdirSync(path.dirname(bin), { recursive: true });
    writeFileSync(bin, "#!/bin/sh\necho Version: 2026.6.5\n", { mode: 0o755 });
    writeFileSync(path.join(shared, "2026.6.5", MARKER), "2026.6.5\n");
    const { m } = setup({ sharedRoot: shared, root: path.join(dir, "own") });
    const lease = await m.acquire("2026.6.5", log);
    expect(lease.bin).toBe(bin);
    expect(pipRuns()).toEqual([]);
    expect(m.installed()).toEqual(["2026.6.5"]);
    // No version named: the most recently used one.
    expect((await m.acquire(null, log)).version).toBe("2026.6.5");
    await expect(m.acquire("latest; rm -rf /", log)).rejects.toThrow(/not an installable ESPHome release/);
  });

  it("a job named no version and nothing is installed: esphome on PATH", async () => {
    const { m, log } = setup();
    expect(await m.acquire(null, log)).toMatchObject({ version: null, bin: "esphome" });
  });

  it("a cancelled job stops waiting at once while the install finishes for the next job", async () => {
    const { m, log, pipRuns } = setup({}, { FAKE_PIP_DELAY: "0.5" });
    const ac = new AbortController();
    const waiting = m.acquire("2026.5.1", log, ac.signal);
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await expect(waiting).rejects.toThrow(/cancelled/);
    expect(Date.now() - t0).toBeLessThan(400);
    (await m.acquire("2026.5.1", log)).release();
    expect(pipRuns()).toEqual(["start 2026.5.1", "end 2026.5.1"]);
  });
});

describe("pipRequiresPython", () => {
  // pip 23.2's own words for `pip install esphome==2026.10.0` under Python 3.11 (shortened lists).
  const PIP_311 =
    "ERROR: Ignored the following versions that require a different python version: 2026.10.0 Requires-Python <3.15,>=3.12.0; 2026.10.0b1 Requires-Python <3.15,>=3.12.0; 2026.9.1 Requires-Python <3.15,>=3.12.0\n" +
    "ERROR: Could not find a version that satisfies the requirement esphome==2026.10.0 (from versions: 2026.6.4, 2026.6.5)\n" +
    "ERROR: No matching distribution found for esphome==2026.10.0\n";

  it("finds the range of exactly the requested release", () => {
    expect(pipRequiresPython(PIP_311, "2026.10.0")).toBe("<3.15,>=3.12.0");
    expect(pipRequiresPython(PIP_311, "2026.9.1")).toBe("<3.15,>=3.12.0");
    expect(pipRequiresPython(PIP_311, "2026.10.1")).toBeNull();
    expect(pipRequiresPython("ERROR: No matching distribution found for esphome==2099.1.0\n", "2099.1.0")).toBeNull();
  });
});
