// Queue semantics end to end: a real sidecar, its real local worker and the stand-in build.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceStatsList, JobList, type Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { pidsWithEnv } from "../test-support/proc-scan.js";
import {
  startSidecar,
  startWorker,
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
    { id: "kitchen" },
    { id: "porch", platform: "esp8266" },
    { id: "slow", standin: ["sleep-ms=30000"] },
    { id: "slow-ota", standin: ["sleep-ms=30000"] },
    { id: "broken", standin: ["fail-at=compile"] },
    { id: "alpha" },
    { id: "beta" },
  ]);
  // No local worker: each test decides when capacity appears.
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await sc?.stop();
});

async function addWorker(name: string, slots = 1): Promise<ProcHandle> {
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
  const w = startWorker({ url: sc.url, token: secret, name, slots });
  workers.push(w);
  await waitFor(
    async () =>
      (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
        (x) => x.name === name && x.online,
      ),
    `worker ${name} online`,
  );
  return w;
}

const settled = (id: number, timeout = 30_000) =>
  waitFor(
    async () => {
      const j = await api.job(id);
      return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
    },
    `job ${id} to finish`,
    timeout,
  );

describe("while no worker is connected", () => {
  it("coalesces a repeat request into the queued job and keeps the newest parameters", async () => {
    const a = await api.createJobs({
      action: "compile",
      targets: { devices: ["alpha"] },
      params: { esphomeVersion: "2026.9.0" },
    });
    const b = await api.createJobs({
      action: "compile",
      targets: { devices: ["alpha"] },
      priority: "interactive",
      params: { esphomeVersion: "2026.10.1" },
    });
    expect(b.jobs[0]!.jobId).toBe(a.jobs[0]!.jobId);
    expect(b.jobs[0]!.coalesced).toBe(true);
    const job = await api.job(a.jobs[0]!.jobId);
    expect(job.params.esphomeVersion).toBe("2026.10.1");
    expect(job.state).toBe("queued");
    // A different action is its own job.
    const v = await api.createJobs({ action: "validate", targets: { devices: ["alpha"] } });
    expect(v.jobs[0]!.jobId).not.toBe(a.jobs[0]!.jobId);
    await api.json("POST", `/jobs/${v.jobs[0]!.jobId}/cancel`);
  });

  it("cancels a queued job at once", async () => {
    const r = await api.createJobs({ action: "compile", targets: { devices: ["beta"] }, priority: "bulk" });
    const job = await api.json<Job>("POST", `/jobs/${r.jobs[0]!.jobId}/cancel`);
    expect(job.state).toBe("cancelled");
    const again = await api.raw("POST", `/jobs/${job.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it("starts higher priorities first, FIFO within a priority, once a slot appears", async () => {
    const bulk = await api.createJobs({ action: "compile", targets: { devices: ["porch"] }, priority: "bulk" });
    const inter = await api.createJobs({
      action: "compile",
      targets: { devices: ["kitchen"] },
      priority: "interactive",
    });
    // alpha (interactive, queued earlier in the first test) must start before kitchen, kitchen before porch.
    await addWorker("solo", 1);
    const [alphaJob, kitchenJob, porchJob] = await Promise.all([
      settled((await api.json<{ jobs: Job[] }>("GET", "/jobs?device=alpha&action=compile")).jobs[0]!.id),
      settled(inter.jobs[0]!.jobId),
      settled(bulk.jobs[0]!.jobId),
    ]);
    expect(Date.parse(alphaJob.startedAt!)).toBeLessThan(Date.parse(kitchenJob.startedAt!));
    expect(Date.parse(kitchenJob.startedAt!)).toBeLessThan(Date.parse(porchJob.startedAt!));
    expect(kitchenJob.dispatchReason).toMatch(/least loaded|affinity/);
  });
});

describe("with a worker", () => {
  it("compiles, archives the firmware with its digest and keeps ESPHome's colours in the log", async () => {
    const r = await api.createJobs({ action: "compile", targets: { devices: ["kitchen"] } });
    const job = await settled(r.jobs[0]!.jobId);
    expect(job.state).toBe("succeeded");
    expect(job.firmware.length).toBeGreaterThan(0);
    for (const image of job.firmware) {
      const res = await api.raw("GET", `/jobs/${job.id}/firmware/${image.name}`);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(image.sha256);
      expect(bytes.length).toBe(image.size);
    }
    expect(await api.log(job.id)).toContain("\u001b[");
    // The job records the digest of the bundle it was sent: the device's config hash.
    const device = await api.json<{ configHash: string }>("GET", "/devices/kitchen");
    expect(job.configHash).toBe(device.configHash);
    expect(await api.log(job.id)).toContain(device.configHash.slice(0, 12));
    // A rebuild of the same device goes back to the worker with the warm cache.
    const again = await settled(
      (await api.createJobs({ action: "compile", targets: { devices: ["kitchen"] } })).jobs[0]!.jobId,
    );
    expect(again.workerId).toBe(job.workerId);
    expect(again.dispatchReason).toMatch(/^affinity/);
  });

  it("ends a failing build as failed, naming the phase, and retries it as a new job", async () => {
    const r = await api.createJobs({ action: "compile", targets: { devices: ["broken"] } });
    const job = await settled(r.jobs[0]!.jobId);
    expect(job.state).toBe("failed");
    expect(job.phase).toBe("compile");
    expect(job.error).toBeTruthy();
    const retried = await api.json<{ jobs: { jobId: number }[] }>("POST", `/jobs/${job.id}/retry`);
    expect(retried.jobs[0]!.jobId).not.toBe(job.id);
    expect((await settled(retried.jobs[0]!.jobId)).state).toBe("failed");
    await expect(api.raw("POST", `/jobs/${r.jobs[0]!.jobId}/retry`).then((x) => x.status)).resolves.toBe(201);
  });

  it("cancels a running build: its whole process group is gone within 2 s and it never flashes", async () => {
    const r = await api.createJobs({ action: "compile_upload", targets: { devices: ["slow-ota"] } });
    const id = r.jobs[0]!.jobId;
    await waitFor(async () => pidsWithEnv(`FORGE_JOB_ID=${id}`).length > 0, "build process to start");
    const t0 = Date.now();
    await api.json("POST", `/jobs/${id}/cancel`);
    await waitFor(() => pidsWithEnv(`FORGE_JOB_ID=${id}`).length === 0, "build processes to exit", 2_000, 20);
    expect(Date.now() - t0).toBeLessThan(2_000);
    const job = await settled(id);
    expect(job.state).toBe("cancelled");
    expect(job.cancelRequested).toBe(true);
    expect(job.phase).not.toBe("upload");
  });

  it("a cancel that races the assignment still wins: the job ends cancelled and nothing is flashed", async () => {
    const stateDir = (workers[0] as ProcHandle & { stateDir: string }).stateDir;
    for (let i = 0; i < 8; i++) {
      const id = (await api.createJobs({ action: "compile_upload", targets: { devices: ["kitchen"] } })).jobs[0]!.jobId;
      // No waiting: the cancel lands while the job is being prepared, in flight, or just started.
      await api.json("POST", `/jobs/${id}/cancel`);
      const job = await settled(id);
      expect(job.state, `round ${i}`).toBe("cancelled");
    }
    expect(existsSync(join(stateDir, "builds", "kitchen", ".esphome", "standin-uploads.jsonl"))).toBe(false);
  });

  it("filters history by device, state and action, and reports per-device stats", async () => {
    const ok = JobList.parse(await api.json("GET", "/jobs?device=kitchen&state=succeeded"));
    expect(ok.jobs.length).toBeGreaterThanOrEqual(2);
    expect(ok.jobs.every((j) => j.deviceId === "kitchen" && j.state === "succeeded")).toBe(true);
    const page = JobList.parse(await api.json("GET", "/jobs?limit=1"));
    expect(page.jobs).toHaveLength(1);
    const next = JobList.parse(await api.json("GET", `/jobs?limit=1&before=${page.nextBefore}`));
    expect(next.jobs[0]!.id).toBeLessThan(page.jobs[0]!.id);
    const { stats } = DeviceStatsList.parse(await api.json("GET", "/stats/devices"));
    expect(stats.find((s) => s.deviceId === "broken")?.failed).toBeGreaterThanOrEqual(2);
  });
});
