// Who may build, on a real sidecar with real worker processes: the worker version gate (an outdated
// worker is refused with the reason and the minimum, and listed as outdated), workers that report
// too little free disk are skipped by dispatch until space returns, and the sidecar's own free-space
// floor refuses new builds with the reason instead of letting them fail half-way.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIN_WORKER_VERSION, WorkerCloseCode, type Job, type Worker } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;

const workers = async () => (await api.json<{ workers: Worker[] }>("GET", "/workers")).workers;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "lamp" }, { id: "fan" }]);
  // Heartbeats every second (a third of the lease), so a changed free-disk state shows up quickly.
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--lease-ms", "3000"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "real" });
  worker = startWorker({ url: sc.url, token: secret, name: "real" });
  await waitFor(async () => (await workers()).some((w) => w.online), "worker online");
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await sc?.stop();
});

describe("worker version gate", () => {
  it("refuses a worker older than the minimum, naming both, and lists it as outdated until it comes back upgraded", async () => {
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "old" });
    const key = generateSigningKey();
    const old = new FakeWorker({ url: sc.url, token: secret, workerId: "old-pc", enrolKey: key, version: "0.0.9" });
    const closed = await old.closed;
    expect(closed.code).toBe(WorkerCloseCode.outdated);
    expect(closed.reason).toContain("0.0.9");
    expect(sc.output()).toContain(
      `worker old-pc (old-pc) refused: worker version 0.0.9 is older than ${MIN_WORKER_VERSION}, the oldest this sidecar supports`,
    );
    const listed = (await workers()).find((w) => w.id === "old-pc")!;
    expect(listed).toMatchObject({ online: false, outdated: true, version: "0.0.9" });
    expect(listed.problem).toBe(
      `worker version 0.0.9 is older than ${MIN_WORKER_VERSION}, the oldest this sidecar supports; upgrade the worker (esphome-forge ${MIN_WORKER_VERSION} or later)`,
    );
    // The real worker (this release) was let in and is not outdated.
    expect((await workers()).find((w) => w.name === "real")).toMatchObject({ online: true, outdated: false });

    // Upgraded (a release at the minimum): accepted, no longer outdated.
    const upgraded = new FakeWorker({
      url: sc.url,
      token: secret,
      workerId: "old-pc",
      enrolKey: key,
      version: MIN_WORKER_VERSION,
    });
    await upgraded.welcomed;
    expect((await workers()).find((w) => w.id === "old-pc")).toMatchObject({
      online: true,
      outdated: false,
      problem: null,
    });
    upgraded.close();
  });
});

describe("free disk", () => {
  it("workers report free disk; one below the floor is skipped until the floor allows it again", async () => {
    const real = await waitFor(async () => (await workers()).find((w) => w.name === "real" && w.online), "worker");
    expect(real.diskFreeBytes).toBeGreaterThan(0);
    expect(real.diskLow).toBe(false);

    // A floor of 1 TiB: more than this machine has. The next heartbeat marks the worker low.
    await api.json("PATCH", "/settings", { workerMinFreeDiskMb: 1_048_576 });
    await waitFor(async () => (await workers()).find((w) => w.id === real.id)?.diskLow, "worker marked low on disk");
    const { jobs } = await api.createJobs({ action: "compile", targets: { devices: ["lamp"] } });
    const id = jobs[0]!.jobId;
    // Two more heartbeats and dispatch passes later the job still waits: the only worker is skipped.
    const seen = (await workers()).find((w) => w.id === real.id)!.lastSeenAt!;
    await waitFor(
      async () => ((await workers()).find((w) => w.id === real.id)!.lastSeenAt ?? "") > seen,
      "another heartbeat",
    );
    expect((await api.job(id)).state).toBe("queued");

    await api.json("PATCH", "/settings", { workerMinFreeDiskMb: 1024 });
    const done = await settledJob(api, id);
    expect(done.state, done.error ?? "").toBe("succeeded");
    expect(done.workerId).toBe(real.id);
    expect((await workers()).find((w) => w.id === real.id)?.diskLow).toBe(false);
  });

  it("below the sidecar's build floor new builds are refused with the reason; uploads and validation go on", async () => {
    await api.json("PATCH", "/settings", { buildMinFreeDiskMb: 1_048_576 });
    const res = await api.raw("POST", "/jobs", { action: "compile_upload", targets: { devices: ["fan"] } });
    expect(res.status).toBe(507);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("disk_low");
    expect(body.error.message).toMatch(
      /^new builds are refused: the sidecar's data folder has [\d.]+ MiB free, below the floor of 1048576\.0 MiB for new builds \(setting buildMinFreeDiskMb\)/,
    );
    expect((await api.json<{ jobs: Job[] }>("GET", "/jobs?device=fan")).jobs).toEqual([]);
    const validate = await api.raw("POST", "/jobs", { action: "validate", targets: { devices: ["fan"] } });
    expect(validate.status).toBe(201);

    await api.json("PATCH", "/settings", { buildMinFreeDiskMb: 256 });
    const ok = await api.raw("POST", "/jobs", { action: "compile", targets: { devices: ["fan"] } });
    expect(ok.status).toBe(201);
  });
});
