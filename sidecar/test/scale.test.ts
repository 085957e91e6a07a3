// A fleet with history (hundreds of devices, thousands of trust records, a short lease) and the two
// things that used to freeze the sidecar long enough for running jobs to lose their lease: dashboards
// hammering the device list, and a worker connecting for the first time (its key enrolment made every
// device's trust be evaluated again, inside one event-loop turn). The running job must keep its lease
// and finish on its first attempt. Nothing here is timed: the outcome is the assertion.
import { readFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeDevice } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { deviceIdOf, seedScaleFleet } from "../src/devtools/scale-fleet.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";

const FLEET = { devices: 800, jobs: 4800, trustRecords: 6400 };
/** Short enough that a stall of a few seconds costs the lease (the default is minutes). */
const LEASE_MS = 3000;

let sc: SidecarProc;
let api: Api;
const workers: WorkerProc[] = [];

async function worker(name: string): Promise<WorkerProc> {
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
  const w = startWorker({ url: sc.url, token: secret, name });
  workers.push(w);
  await waitFor(
    async () =>
      (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
        (x) => x.name === name && x.online,
      ),
    `${name} online`,
    60_000,
  );
  return w;
}

beforeAll(async () => {
  const dataDir = tempDir("forge-scale-");
  await seedScaleFleet(dataDir, FLEET);
  // One device builds slowly: the job that must keep its lease throughout.
  writeDevice(join(dataDir, "config"), { id: deviceIdOf(0), standin: ["sleep-ms=15000"] });
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--lease-ms", String(LEASE_MS)],
    localSlots: 0,
    env: { FORGE_ESPHOME_BIN: "" },
  });
  api = new Api(sc.url, sc.token);
}, 180_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await sc?.stop();
});

describe("a fleet with history under load", () => {
  it("runs with its heap flags and malloc arenas in the same process it was started as", () => {
    expect(readFileSync(`/proc/${sc.proc.pid}/cmdline`, "utf8").split("\0")).toContain("--optimize-for-size");
    expect(readFileSync(`/proc/${sc.proc.pid}/environ`, "utf8").split("\0")).toContain("MALLOC_ARENA_MAX=2");
  });

  it("answers a poll of an unchanged device list with 304 Not Modified", async () => {
    // node:http, not fetch: fetch adds `Cache-Control: no-cache` to a conditional request (as browsers do).
    const get = (headers: Record<string, string> = {}) =>
      new Promise<{ status: number; etag: string }>((resolve, reject) => {
        const req = httpGet(`${sc.url}/api/v1/devices`, {
          headers: { authorization: `Bearer ${sc.token}`, ...headers },
        });
        req.once("response", (res) => {
          res.resume();
          res.once("end", () => resolve({ status: res.statusCode ?? 0, etag: String(res.headers.etag ?? "") }));
        });
        req.once("error", reject);
      });
    await waitFor(
      async () => {
        const first = await get();
        const again = await get({ "if-none-match": first.etag });
        return first.status === 200 && first.etag !== "" && again.status === 304;
      },
      "a 304 for an unchanged list",
      60_000,
    );
  });

  it("keeps a running job's lease while the device list is hammered and a worker connects for the first time", async () => {
    await worker("first");
    const { jobs } = await api.createJobs({ action: "compile", targets: { devices: [deviceIdOf(0)] } });
    const id = jobs[0]!.jobId;
    await waitFor(async () => (await api.job(id)).phase === "compile", "the slow build to run", 60_000);

    // Four dashboards poll the whole list and one device, and event clients connect (snapshots).
    let hammering = true;
    const lists: number[] = [];
    const failures: string[] = [];
    const hammer = async () => {
      while (hammering) {
        try {
          const { devices } = await api.json<{ devices: Device[] }>("GET", "/devices");
          lists.push(devices.length);
          await api.json<Device>("GET", `/devices/${deviceIdOf(400)}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const snapshots = async () => {
      while (hammering) {
        await new Promise<void>((resolve) => {
          const ws = new WebSocket(`${sc.url.replace(/^http/, "ws")}/api/v1/events`, {
            headers: { authorization: `Bearer ${sc.token}` },
          });
          ws.once("message", () => (ws.terminate(), resolve()));
          ws.once("error", (err) => (failures.push(String(err)), resolve()));
        });
      }
    };
    const load = [hammer(), hammer(), hammer(), hammer(), snapshots()];
    // A second worker's first connect: its key is enrolled while the job runs.
    await worker("second");
    const job: Job = await settledJob(api, id, 120_000);
    hammering = false;
    await Promise.all(load);

    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.attempts, await api.log(id)).toBe(1); // never requeued: the lease held throughout
    expect(await api.log(id)).not.toMatch(/lease/i);
    expect(failures).toEqual([]);
    expect(lists.length).toBeGreaterThan(0);
    expect(new Set(lists)).toEqual(new Set([FLEET.devices]));
  });
});
