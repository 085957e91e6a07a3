// ESPHome versions on a real worker process: a job naming a release the worker lacks installs it
// into its own venv (phase `install`) with the interpreter given by --python. Here that is the
// fake Python (no network): its first pip install fails, so the first job fails at `install`
// with pip's reason in the job log, and the next job installs cleanly and runs with it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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
