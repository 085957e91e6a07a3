// Job targets (all / tags / outdated), live slot changes, the token CLI and a draining worker.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startFlasher } from "../test-support/fleet-jobs.js";
import {
  startWorker,
  runCli,
  startSidecar,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

let sc: SidecarProc;
let api: Api;
const workers: ProcHandle[] = [];

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "attic", tags: ["upstairs"] },
    { id: "bedroom", tags: ["upstairs", "quiet"] },
    { id: "cellar", tags: ["downstairs"] },
    { id: "drain", standin: ["sleep-ms=1500"] },
  ]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await sc?.stop();
});

const devicesOf = (r: { jobs: { deviceId: string }[] }) => r.jobs.map((j) => j.deviceId).sort();

describe("targets", () => {
  it("expands tags and all; outdated means never flashed or changed since the last flash", async () => {
    expect(
      devicesOf(await api.createJobs({ action: "validate", targets: { tags: ["upstairs"] }, priority: "bulk" })),
    ).toEqual(["attic", "bedroom"]);
    expect(devicesOf(await api.createJobs({ action: "compile", targets: { all: true }, priority: "bulk" }))).toEqual([
      "attic",
      "bedroom",
      "cellar",
      "drain",
    ]);
    // Nothing was ever flashed by Forge, so every device is outdated.
    expect(devicesOf(await api.createJobs({ action: "compile", targets: { outdated: true } }))).toEqual([
      "attic",
      "bedroom",
      "cellar",
      "drain",
    ]);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "builder" });
    workers.push(startWorker({ url: sc.url, token: secret, name: "builder", slots: 2 }));
    workers.push(await startFlasher(api, sc.url)); // a builder never flashes: the admin's flasher does
    const flashed = await api.createJobs({ action: "compile_upload", targets: { devices: ["cellar"] } });
    await waitFor(async () => (await api.job(flashed.jobs[0]!.jobId)).state === "succeeded", "flash", 30_000);
    const cellar = await api.json<{ outdated: boolean }>("GET", "/devices/cellar");
    expect(cellar.outdated).toBe(false);
    const again = await api.createJobs({ action: "compile", targets: { outdated: true } });
    expect(devicesOf(again)).not.toContain("cellar");
  });
});

describe("workers", () => {
  it("takes a new slot count live from the API", async () => {
    const list = await api.json<{ workers: { id: string; name: string; slots: number }[] }>("GET", "/workers");
    const w = list.workers.find((x) => x.name === "flasher")!;
    const patched = await api.json<{ slots: number }>("PATCH", `/workers/${w.id}`, { slots: 3 });
    expect(patched.slots).toBe(3);
    const bad = await api.raw("PATCH", `/workers/${w.id}`, { slots: 99 });
    expect(bad.status).toBe(400);
    const missing = await api.raw("PATCH", "/workers/nobody", { slots: 1 });
    expect(missing.status).toBe(404);
  });

  it("a worker stopped with SIGTERM finishes its running build before it leaves", async () => {
    // Let the queue drain first so the worker is idle apart from our job.
    await waitFor(
      async () => (await api.json<{ jobs: unknown[] }>("GET", "/jobs?state=queued,running")).jobs.length === 0,
      "queue drained",
      60_000,
    );
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["drain"] } })).jobs[0]!.jobId;
    await waitFor(async () => (await api.job(id)).phase === "compile", "compiling on the worker");
    const code = await workers[0]!.stop("SIGTERM");
    expect(code).toBe(0);
    expect((await api.job(id)).state).toBe("succeeded");
  });
});

describe("token CLI", () => {
  it("creates, lists and revokes worker tokens in the data folder", async () => {
    const created = await runCli(["token", "create", "cli-made", "--data-dir", sc.dataDir]);
    expect(created.code).toBe(0);
    const secret = /efw_\S+/.exec(created.out)![0];
    const id = /token (\w+) \(cli-made\)/.exec(created.out)![1]!;
    const listed = await runCli(["token", "list", "--data-dir", sc.dataDir]);
    expect(listed.out).toContain("cli-made");
    expect(listed.out).not.toContain(secret);
    expect((await runCli(["token", "revoke", id, "--data-dir", sc.dataDir])).code).toBe(0);
    expect((await runCli(["token", "revoke", "nope", "--data-dir", sc.dataDir])).code).not.toBe(0);
    expect((await runCli(["token", "frobnicate", "--data-dir", sc.dataDir])).code).toBe(2);
    expect((await runCli(["serve", "--port", "99999"])).code).toBe(2);
  });
});
