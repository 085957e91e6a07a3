// Schedules on a real sidecar with a real stand-in worker: a near-future one-time run queues a
// `scheduled` job from source `schedule` that builds; what the REST API refuses; only-outdated;
// the build floor; and a run missed while the sidecar was stopped (once at start within the grace
// period, recorded as missed beyond it). The timing rules in full are unit-tested with a manual
// clock (sidecar/src/schedules/scheduler.test.ts).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job, Schedule, ScheduleRun } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob, startFlasher, type WorkerProc } from "../test-support/fleet-jobs.js";

let dataDir: string;
let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;
let flasher: WorkerProc;
let workerToken: string;

async function start(): Promise<void> {
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
}

beforeAll(async () => {
  dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "porch", tags: ["outdoor"], standin: ["sleep-ms=50"] },
    { id: "garden", tags: ["outdoor"], standin: ["sleep-ms=50"] },
    { id: "desk", standin: ["sleep-ms=50"] },
  ]);
  await start();
  workerToken = (await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" })).secret;
  worker = startWorker({ url: sc.url, token: workerToken, name: "w" });
  flasher = await startFlasher(api, sc.url); // flashes what "w" built (a builder never flashes)
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "worker online",
  );
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await flasher?.stop();
  await sc?.stop();
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const schedule = (id: number) => api.json<Schedule>("GET", `/schedules/${id}`);

describe("schedules", () => {
  it("a one-time run a moment ahead queues a scheduled job from source schedule, and records the run", async () => {
    const events = new EventsClient(sc.url, sc.token);
    await events.opened;
    try {
      const created = await api.json<Schedule>("POST", "/schedules", {
        name: "desk soon",
        target: { kind: "device", deviceId: "desk" },
        action: "compile",
        when: { at: inSeconds(1.5) },
      });
      expect(created).toMatchObject({ enabled: true, onlyOutdated: false, lastRun: null });
      expect(Date.parse(created.nextRunAt!)).toBeGreaterThan(Date.now() - 1000);
      const ran = await waitFor(async () => (await schedule(created.id)).lastRun, "the run", 20_000);
      expect(ran).toMatchObject({ trigger: "schedule", outcome: "queued", detail: "1 compile job(s) queued" });
      const job = await settledJob(api, ran.jobIds[0]!);
      expect(job).toMatchObject({ deviceId: "desk", action: "compile", priority: "scheduled", source: "schedule" });
      expect(job.state, job.error ?? "").toBe("succeeded");
      expect((await schedule(created.id)).nextRunAt).toBeNull();
      const runs = await api.json<{ runs: ScheduleRun[] }>("GET", `/schedules/${created.id}/runs`);
      expect(runs.runs.map((r) => r.id)).toEqual([ran.id]);
      // Live: the card and HA hear about the schedule on the events stream.
      await waitFor(
        () => events.of("schedule").find((e) => e.id === created.id && e.schedule?.lastRun?.id === ran.id),
        "the schedule's delta with its run",
      );
    } finally {
      events.close();
    }
  });

  it("refuses what cannot run, saying why", async () => {
    const bad = async (body: unknown, pattern: RegExp) => {
      const res = await api.raw("POST", "/schedules", body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(pattern);
    };
    const fleet = { kind: "fleet" };
    await bad({ target: fleet, when: { cron: "61 * * * *", timeZone: "UTC" } }, /minute: 61 is outside 0–59/);
    await bad({ target: fleet, when: { cron: "0 0 30 2 *", timeZone: "UTC" } }, /matches no date/);
    await bad({ target: fleet, when: { cron: "0 3 * * *", timeZone: "Mars/Base" } }, /unknown time zone/);
    await bad({ target: fleet, when: { at: "2020-01-01T00:00:00Z" } }, /is not in the future/);
    await bad({ target: { kind: "device", deviceId: "nope" }, when: { at: inSeconds(60) } }, /no device nope/);
    await bad({ target: fleet, action: "upload", when: { at: inSeconds(60) } }, /action/);
    expect((await api.raw("GET", "/schedules/9999")).status).toBe(404);
    expect((await api.raw("PATCH", "/schedules/9999", { name: "x" })).status).toBe(404);
  });

  it("only-outdated runs build just the devices that need it; below the build floor a run is refused with the reason", async () => {
    // porch is flashed (up to date), garden never was (outdated).
    const { jobs } = await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } });
    expect((await settledJob(api, jobs[0]!.jobId)).state).toBe("succeeded");
    const s = await api.json<Schedule>("POST", "/schedules", {
      target: { kind: "tag", tag: "outdoor" },
      action: "compile",
      onlyOutdated: true,
      when: { cron: "0 3 * * *", timeZone: "Europe/Berlin" },
    });
    const run = await api.json<ScheduleRun>("POST", `/schedules/${s.id}/run`);
    expect(run).toMatchObject({ trigger: "manual", outcome: "queued" });
    const queued = await Promise.all(run.jobIds.map((id) => api.job(id)));
    expect(queued.map((j) => j.deviceId)).toEqual(["garden"]);
    await Promise.all(run.jobIds.map((id) => settledJob(api, id)));
    // The next run did not move.
    expect((await schedule(s.id)).nextRunAt).toBe(s.nextRunAt);

    await api.json("PATCH", "/settings", { buildMinFreeDiskMb: 1_048_576 });
    try {
      const refused = await api.json<ScheduleRun>("POST", `/schedules/${s.id}/run`);
      expect(refused.outcome).toBe("refused");
      expect(refused.detail).toMatch(/^new builds are refused: the sidecar's data folder has .* below the floor/);
    } finally {
      await api.json("PATCH", "/settings", { buildMinFreeDiskMb: 256 });
    }
    await api.json("DELETE", `/schedules/${s.id}`);
    expect((await api.raw("GET", `/schedules/${s.id}`)).status).toBe(404);
  });

  it("a run due while the sidecar was stopped runs once at start within the grace period, and is recorded as missed beyond it", async () => {
    const a = await api.json<Schedule>("POST", "/schedules", {
      name: "while down",
      target: { kind: "device", deviceId: "desk" },
      action: "compile",
      when: { at: inSeconds(2) },
    });
    await sc.stop();
    await waitFor(() => Date.now() > Date.parse(a.nextRunAt!) + 500, "the run time to pass", 10_000);
    await start();
    const caught = await waitFor(async () => (await schedule(a.id)).lastRun, "the catch-up run");
    expect(caught).toMatchObject({ trigger: "startup", outcome: "queued" });
    expect((await api.json<{ runs: ScheduleRun[] }>("GET", `/schedules/${a.id}/runs`)).runs).toHaveLength(1);
    const job: Job = await api.job(caught.jobIds[0]!);
    expect(job).toMatchObject({ source: "schedule", priority: "scheduled" });
    expect(sc.output()).toMatch(/schedule \d+ \(while down\): 1 job\(s\) queued/);

    // Beyond the grace period (1 s here): not run, recorded as missed, with the reason.
    await api.json("PATCH", "/settings", { scheduleGraceSec: 1 });
    const b = await api.json<Schedule>("POST", "/schedules", {
      name: "too late",
      target: { kind: "device", deviceId: "desk" },
      action: "compile",
      when: { at: inSeconds(2) },
    });
    await sc.stop();
    await waitFor(() => Date.now() > Date.parse(b.nextRunAt!) + 3000, "the grace period to pass", 15_000);
    await start();
    const missed = await waitFor(async () => (await schedule(b.id)).lastRun, "the missed run");
    expect(missed).toMatchObject({ trigger: "startup", outcome: "missed", jobIds: [] });
    expect(missed.detail).toMatch(/^not run: due at .*, \d+ s ago — more than the grace period of 1 s/);
    await api.json("PATCH", "/settings", { scheduleGraceSec: 3600 });
  });
});
