// ESPHome versions on a real worker process: a job naming a release the worker lacks installs it
// into its own venv (phase `install`) with the interpreter given by --python. Here that is the
// fake Python (no network): its first pip install fails, so the first job fails at `install`
// with pip's reason in the job log, and the next job installs cleanly and runs with it.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

const FAKE_PYTHON = fileURLToPath(new URL("../test-support/fake-python.sh", import.meta.url));
const VERSION = "2026.5.1";

let sc: SidecarProc;
let api: Api;
let worker: ProcHandle & { stateDir: string };
const scratch = tempDir("forge-versions-");
const pipLog = join(scratch, "pip.log");
const failOnce = join(scratch, "fail-once");

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "vdev" }]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  await api.json("PATCH", "/settings", { defaultEsphomeVersion: VERSION });
  writeFileSync(failOnce, "");
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "versions" });
  // validate runs the (fake) real ESPHome; only compile would use the stand-in.
  worker = startWorker({
    url: sc.url,
    token: secret,
    name: "versions",
    extraArgs: [
      "--build-command-phases",
      "compile",
      "--python",
      FAKE_PYTHON,
      "--esphome",
      join(scratch, "no-such-esphome"),
      // pip sees only the build allow-list: the fake pip's knobs are passed on by name.
      "--build-env",
      "FAKE_PIP_LOG,FAKE_PIP_FAIL_ONCE",
    ],
    env: { FORGE_CACHE: join(scratch, "cache"), FAKE_PIP_LOG: pipLog, FAKE_PIP_FAIL_ONCE: failOnce },
  });
  await waitFor(
    async () =>
      (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
        (w) => w.name === "versions" && w.online,
      ),
    "worker online",
  );
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await sc?.stop();
});

async function validate(): Promise<{
  id: number;
  state: string;
  phase: string | null;
  error: string | null;
  esphomeVersion: string | null;
}> {
  const r = await api.createJobs({ action: "validate", targets: { devices: ["vdev"] } });
  const id = r.jobs[0]!.jobId;
  return waitFor(
    async () => {
      const j = await api.job(id);
      return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
    },
    `job ${id}`,
    30_000,
  );
}

describe("a job naming an ESPHome version the worker lacks", () => {
  it("fails at install when pip fails, says why in the job log, and the next job installs cleanly", async () => {
    const first = await validate();
    expect(first).toMatchObject({ state: "failed", phase: "install" });
    expect(first.error).toMatch(
      new RegExp(
        `installing ESPHome ${VERSION.replace(/\./g, "\\.")} failed: pip install esphome==${VERSION.replace(/\./g, "\\.")} failed \\(exit code 1\\)`,
      ),
    );
    const log1 = await api.log(first.id);
    expect(log1).toContain(`installing ESPHome ${VERSION} with ${FAKE_PYTHON}`);
    expect(log1).toContain("No space left on device");
    expect(existsSync(join(worker.stateDir, "esphome", VERSION))).toBe(false);

    const second = await validate();
    expect(second, await api.log(second.id)).toMatchObject({
      state: "succeeded",
      phase: "validate",
      esphomeVersion: VERSION,
    });
    const log2 = await api.log(second.id);
    expect(log2).toContain(`ESPHome ${VERSION} ready in`);
    expect(readFileSync(pipLog, "utf8").trim().split("\n")).toEqual([
      `start ${VERSION}`,
      `start ${VERSION}`,
      `end ${VERSION}`,
    ]);

    // The worker reports the installed version; a third job reuses it without pip.
    await waitFor(async () => {
      const { workers } = await api.json<{ workers: { name: string; esphomeVersions: string[] }[] }>("GET", "/workers");
      return workers.find((w) => w.name === "versions")?.esphomeVersions.includes(VERSION);
    }, "the worker to report the installed version");
    const third = await validate();
    expect(third).toMatchObject({ state: "succeeded", esphomeVersion: VERSION });
    expect(await api.log(third.id)).toContain(`ESPHome ${VERSION} is installed`);
    expect(readFileSync(pipLog, "utf8").trim().split("\n")).toHaveLength(3);
  }, 60_000);
});

describe("the fleet's default ESPHome version", () => {
  it("is asked of pip once on first start, recorded, and kept across restarts", async () => {
    const dataDir = tempDir();
    const log = join(dataDir, "pip.log");
    const env = {
      FORGE_ESPHOME_DEFAULT_PROBE: "on",
      FORGE_PYTHON: FAKE_PYTHON,
      FAKE_PIP_LOG: log,
      FAKE_PIP_INDEX: "2026.9.1, 2026.10.0b2, 2026.9.10",
    };
    const first = await startSidecar({ dataDir, args: ["--no-seed"], env });
    try {
      const a = new Api(first.url, first.token);
      const s = await waitFor(
        async () =>
          (await a.json<{ settings: { defaultEsphomeVersion: string | null } }>("GET", "/settings")).settings
            .defaultEsphomeVersion,
        "the default version",
      );
      expect(s).toBe("2026.9.10");
      expect(first.output()).toContain("default ESPHome version: 2026.9.10, the newest release pip offers");
    } finally {
      await first.stop();
    }
    const second = await startSidecar({ dataDir, args: ["--no-seed"], env: { ...env, FAKE_PIP_INDEX: "2027.1.0" } });
    try {
      const a = new Api(second.url, second.token);
      expect(
        (await a.json<{ settings: { defaultEsphomeVersion: string | null } }>("GET", "/settings")).settings
          .defaultEsphomeVersion,
      ).toBe("2026.9.10");
      expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["index"]);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

/** A stand-in interpreter at `file` that reports `version` (the fake Python, which then behaves like pip on it). */
function fakeInterpreter(file: string, version: string): string {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, `#!/bin/sh\nFAKE_PYTHON_VERSION=${version} exec ${FAKE_PYTHON} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("a worker whose Python cannot run the release a job names", () => {
  it("fails the job at install with pip's Requires-Python reason and the interpreter's version", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "newdev" }]);
    const sc2 = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
    const api2 = new Api(sc2.url, sc2.token);
    const dir = tempDir("forge-oldpython-");
    const py311 = fakeInterpreter(join(dir, "bin", "python3.11"), "3.11.2");
    let w: (ProcHandle & { stateDir: string }) | null = null;
    try {
      await api2.json("PATCH", "/settings", { defaultEsphomeVersion: "2026.10.0" });
      const { secret } = await api2.json<{ secret: string }>("POST", "/worker-tokens", { name: "old-python" });
      w = startWorker({
        url: sc2.url,
        token: secret,
        name: "old-python",
        extraArgs: ["--build-command-phases", "compile", "--python", py311, "--esphome", join(dir, "no-such-esphome")],
        env: { FORGE_CACHE: join(dir, "cache") },
      });
      await waitFor(
        async () =>
          (await api2.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
            (x) => x.name === "old-python" && x.online,
          ),
        "worker online",
      );
      const r = await api2.createJobs({ action: "validate", targets: { devices: ["newdev"] } });
      const job = await waitFor(
        async () => {
          const j = await api2.job(r.jobs[0]!.jobId);
          return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
        },
        "the job to end",
        30_000,
      );
      expect(job, await api2.log(job.id)).toMatchObject({ state: "failed", phase: "install" });
      expect(job.error).toBe(
        `installing ESPHome 2026.10.0 failed: ESPHome 2026.10.0 requires Python <3.15,>=3.12.0, but this worker's interpreter ${py311} is Python 3.11.2; give the worker a Python that can run it with --python PATH (or FORGE_PYTHON)`,
      );
      expect(existsSync(join(w.stateDir, "esphome", "2026.10.0"))).toBe(false);
    } finally {
      await w?.stop();
      await sc2.stop();
    }
  }, 60_000);
});

describe("the default version with no --python: the newest interpreter asks pip", () => {
  it("prefers the tool cache's Python 3.13 over python3 3.11, so the newest release is recorded", async () => {
    const dataDir = tempDir();
    const dir = tempDir("forge-pythons-");
    fakeInterpreter(join(dir, "bin", "python3"), "3.11.2");
    fakeInterpreter(join(dir, "cache", "python-3.13", "bin", "python3.13"), "3.13.5");
    const sc2 = await startSidecar({
      dataDir,
      args: ["--no-seed"],
      env: {
        FORGE_ESPHOME_DEFAULT_PROBE: "on",
        FORGE_PYTHON: "",
        FORGE_CACHE: join(dir, "cache"),
        PATH: `${join(dir, "bin")}:/usr/bin:/bin`,
        // What pip offers depends on the interpreter: 3.11 sees only 2026.6.5 (the fake filters like PyPI).
        FAKE_PIP_INDEX: "2026.6.5, 2026.10.0, 2026.9.1",
      },
    });
    try {
      const a = new Api(sc2.url, sc2.token);
      const v = await waitFor(
        async () =>
          (await a.json<{ settings: { defaultEsphomeVersion: string | null } }>("GET", "/settings")).settings
            .defaultEsphomeVersion,
        "the default version",
      );
      expect(v).toBe("2026.10.0");
      expect(sc2.output()).toContain(
        `the newest release pip offers for ${join(dir, "cache", "python-3.13", "bin", "python3.13")}`,
      );
    } finally {
      await sc2.stop();
    }
  }, 60_000);
});
