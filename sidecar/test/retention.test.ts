// Retention on a real sidecar with a real stand-in worker: the firmware archive keeps each device's
// newest builds plus what it runs and has staged, then honours a size cap without touching those;
// job history is cut by count while each device's latest successful jobs stay.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob, startFlasher, type WorkerProc } from "../test-support/fleet-jobs.js";

let dataDir: string;
let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;
let flasher: WorkerProc;

beforeAll(async () => {
  dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "lamp", standin: ["sleep-ms=20"] },
    { id: "big", standin: ["sleep-ms=20", "firmware-bytes=400000"] },
  ]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
  worker = startWorker({ url: sc.url, token: secret, name: "w" });
  flasher = await startFlasher(api, sc.url); // flashes what "w" built (a builder never flashes)
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "worker online",
  );
  await api.json("PATCH", "/settings", { firmwareKeepPerDevice: 2 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await flasher?.stop();
  await sc?.stop();
});

let revision = 0;
/** Changes the device's config (a new comment line: a new config digest, new firmware bytes), then builds it. */
async function build(device: string, action: "compile" | "compile_upload" = "compile"): Promise<Job> {
  const before = (await api.json<Device>("GET", `/devices/${device}`)).configHash;
  appendFileSync(join(dataDir, "config", `${device}.yaml`), `# revision ${++revision}\n`);
  await waitFor(async () => (await api.json<Device>("GET", `/devices/${device}`)).configHash !== before, "rescan");
  const { jobs } = await api.createJobs({ action, targets: { devices: [device] } });
  const job = await settledJob(api, jobs[0]!.jobId);
  expect(job.state, job.error ?? "").toBe("succeeded");
  return job;
}

async function archived(sha256: string): Promise<boolean> {
  const res = await api.raw("GET", `/firmware/${sha256}`);
  await res.arrayBuffer(); // read it all: the connection is reused
  return res.status === 200;
}
const images = (j: Job) => j.firmware.map((f) => f.sha256);
/** Settings changes apply retention about a second later. */
const nudge = (patch: Record<string, unknown>) => api.json("PATCH", "/settings", patch);

describe("retention", () => {
  const lamp: Job[] = [];
  const big: Job[] = [];

  it("keeps the newest builds per device and what the device runs; older builds go", async () => {
    lamp.push(await build("lamp", "compile_upload")); // flashed: what lamp runs
    for (let i = 0; i < 3; i++) lamp.push(await build("lamp"));
    expect(lamp[0]!.firmware.length).toBe(2); // ESP32: factory + OTA image
    await nudge({ firmwareKeepPerDevice: 2 });
    await waitFor(async () => !(await archived(images(lamp[1]!)[0]!)), "the older build to be removed");
    for (const sha of images(lamp[1]!)) expect(await archived(sha)).toBe(false);
    for (const j of [lamp[0]!, lamp[2]!, lamp[3]!]) for (const sha of images(j)) expect(await archived(sha)).toBe(true);
    expect(sc.output()).toMatch(
      /firmware archive: removed 2 image\(s\), .* \(older than the 2 newest builds of lamp\)/,
    );
    // The device still knows what it runs and what an upload would flash.
    const device = await api.json<Device>("GET", "/devices/lamp");
    expect(device.lastFlash?.jobId).toBe(lamp[0]!.id);
    expect(device.storedFirmware?.jobId).toBe(lamp[3]!.id);
  });

  it("over the size cap the oldest unpinned images go first; what runs and what is staged stay", async () => {
    big.push(await build("big"), await build("big"));
    await nudge({ firmwareArchiveMaxMb: 1 });
    await waitFor(async () => !(await archived(images(big[0]!)[0]!)), "the size cap to apply");
    for (const j of [lamp[2]!, big[0]!]) for (const sha of images(j)) expect(await archived(sha)).toBe(false);
    // lamp runs lamp[0] and has lamp[3] staged; big has big[1] staged: kept although the cap is exceeded.
    for (const j of [lamp[0]!, lamp[3]!, big[1]!]) for (const sha of images(j)) expect(await archived(sha)).toBe(true);
    expect(sc.output()).toContain("the archive is over its size cap of 1048576 bytes");
  });

  it("job history is cut by count, keeping each device's latest successful job per action", async () => {
    await nudge({ historyMaxJobs: 2, firmwareArchiveMaxMb: 2048 });
    // Protected: lamp's last compile_upload and compile, big's last compile. Newest two others: big[0], lamp[2].
    await waitFor(async () => (await api.raw("GET", `/jobs/${lamp[1]!.id}`)).status === 404, "pruning");
    const left = (await api.json<{ jobs: Job[] }>("GET", "/jobs?limit=50")).jobs.map((j) => j.id).sort((a, b) => a - b);
    expect(left).toEqual([lamp[0]!.id, lamp[2]!.id, lamp[3]!.id, big[0]!.id, big[1]!.id].sort((a, b) => a - b));
  });
});
