// The simulated fleet: a real sidecar, 10 real worker processes × 2 slots, 200 devices, and the
// stand-in build with set durations (a clean build costs more than an incremental one, so
// affinity matters). Measures dispatch latency, makespan against its lower bound, the affinity
// hit rate on a second full rebuild, events fan-out to 20 subscribers and the sidecar's peak RSS.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventsServerMessage, Job } from "@esphome-forge/shared";
import { Api } from "../devtools/api-client.js";
import { EventsClient } from "../devtools/events-client.js";
import { writeFleet } from "../devtools/fleet.js";
import {
  STANDIN_FAST_COMMAND,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
} from "../devtools/processes.js";
import { percentile, type BenchRow } from "./stats.js";

export const FLEET = {
  devices: 200,
  workers: 10,
  slotsPerWorker: 2,
  cleanMs: 600,
  incrementalMs: 150,
  subscribers: 20,
};

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

export async function benchFleet(): Promise<{ rows: BenchRow[]; raw: Record<string, unknown> }> {
  const dataDir = tempDir("forge-bench-");
  const ids = Array.from({ length: FLEET.devices }, (_, i) => `dev-${String(i).padStart(3, "0")}`);
  writeFleet(
    join(dataDir, "config"),
    ids.map((id) => ({ id })),
  );
  // The plain YAML read, not 200 `esphome config` runs: this measures the sidecar, not ESPHome.
  const sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0, env: { FORGE_ESPHOME_BIN: "" } });
  const api = new Api(sc.url, sc.token);
  const workers: ProcHandle[] = [];
  const clients: EventsClient[] = [];
  try {
    const env = {
      FORGE_STANDIN_CLEAN_MS: String(FLEET.cleanMs),
      FORGE_STANDIN_INCREMENTAL_MS: String(FLEET.incrementalMs),
    };
    for (let i = 0; i < FLEET.workers; i++) {
      const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: `bench-${i}` });
      workers.push(
        startWorker({
          url: sc.url,
          token: secret,
          name: `bench-${i}`,
          slots: FLEET.slotsPerWorker,
          env,
          buildCommand: STANDIN_FAST_COMMAND,
        }),
      );
    }
    await waitFor(
      async () =>
        (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.filter((w) => w.online)
          .length === FLEET.workers,
      "all workers online",
      60_000,
    );

    const watcher = new EventsClient(sc.url, sc.token);
    await waitFor(() => watcher.of("snapshot").length > 0, "snapshot");
    const first = await fullRebuild(api, watcher, ids);
    const second = await fullRebuild(api, watcher, ids);
    watcher.close();
    const owner = new Map(first.jobs.map((j) => [j.deviceId, j.workerId]));
    const hits = second.jobs.filter((j) => owner.get(j.deviceId) === j.workerId).length;
    const dispatch = await dispatchLatency(sc.url, sc.token, api, ids.slice(0, 60));
    const fanout = await fanOut(sc.url, sc.token, api, clients, ids[0]!);
    const rssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${sc.proc.pid}/status`, "utf8"))?.[1] ?? NaN);

    const rows: BenchRow[] = [
      { metric: "dispatch: enqueue→worker starts job p50", value: percentile(dispatch.started, 50), unit: "ms" },
      {
        metric: "dispatch: enqueue→worker starts job p99",
        value: percentile(dispatch.started, 99),
        unit: "ms",
        target: "< 20",
        pass: percentile(dispatch.started, 99) < 20,
      },
      { metric: "dispatch: enqueue→build process spawned p50", value: percentile(dispatch.spawned, 50), unit: "ms" },
      { metric: "dispatch: enqueue→build process spawned p99", value: percentile(dispatch.spawned, 99), unit: "ms" },
      {
        metric: "makespan / bound (clean fleet build)",
        value: first.ratio,
        unit: "x",
        target: "≤ 1.05",
        pass: first.ratio <= 1.05,
      },
      { metric: "makespan / bound (incremental rebuild)", value: second.ratio, unit: "x" },
      { metric: "clean fleet build makespan", value: first.makespanMs, unit: "ms" },
      { metric: "incremental rebuild makespan", value: second.makespanMs, unit: "ms" },
      {
        metric: "affinity hit rate (2nd rebuild)",
        value: (100 * hits) / second.jobs.length,
        unit: "%",
        target: "≥ 95",
        pass: hits / second.jobs.length >= 0.95,
      },
      { metric: `events fan-out p50 (${FLEET.subscribers} subs)`, value: percentile(fanout, 50), unit: "ms" },
      { metric: `events fan-out p99 (${FLEET.subscribers} subs)`, value: percentile(fanout, 99), unit: "ms" },
      { metric: "sidecar peak RSS", value: rssKb / 1024, unit: "MB", target: "< 150", pass: rssKb / 1024 < 150 },
    ];
    return {
      rows,
      raw: {
        fleet: FLEET,
        first: strip(first),
        second: strip(second),
        dispatchMs: dispatch,
        fanoutMs: fanout,
        peakRssKb: rssKb,
      },
    };
  } finally {
    for (const c of clients) c.close();
    await Promise.all(workers.map((w) => w.stop()));
    await sc.stop();
  }
}

interface RebuildResult {
  jobs: Job[];
  makespanMs: number;
  boundMs: number;
  ratio: number;
}

async function fullRebuild(api: Api, ev: EventsClient, ids: string[]): Promise<RebuildResult> {
  const res = await api.createJobs({ action: "compile", targets: { all: true }, priority: "bulk" });
  const jobIds = new Set(res.jobs.map((j) => j.jobId));
  if (jobIds.size !== ids.length) throw new Error(`expected ${ids.length} jobs, got ${jobIds.size}`);
  // Watch the events stream (as a dashboard would) instead of polling 200 jobs.
  const ended = new Set<number>();
  await waitFor(
    () => {
      for (const m of ev.messages.splice(0)) {
        if (m.type === "job" && jobIds.has(m.id) && TERMINAL.includes(m.job?.state ?? "")) ended.add(m.id);
      }
      ev.receivedAt.splice(0);
      return ended.size === jobIds.size;
    },
    "full rebuild",
    600_000,
    100,
  );
  const jobs = (await api.json<{ jobs: Job[] }>("GET", "/jobs?limit=500&action=compile")).jobs.filter((j) =>
    jobIds.has(j.id),
  );
  const failed = jobs.filter((j) => j.state !== "succeeded");
  if (failed.length) throw new Error(`${failed.length} bench jobs did not succeed: ${failed[0]!.error}`);
  const start = Math.min(...jobs.map((j) => Date.parse(j.createdAt)));
  const end = Math.max(...jobs.map((j) => Date.parse(j.finishedAt!)));
  const durations = jobs.map((j) => j.durationMs ?? 0);
  const total = durations.reduce((a, b) => a + b, 0);
  const boundMs = Math.max(Math.max(...durations), total / (FLEET.workers * FLEET.slotsPerWorker));
  return { jobs, makespanMs: end - start, boundMs, ratio: (end - start) / boundMs };
}

/** Enqueue one job at a time while slots are free; time from the request to the build process starting. */
async function dispatchLatency(
  url: string,
  token: string,
  api: Api,
  ids: string[],
): Promise<{ started: number[]; spawned: number[] }> {
  const ev = new EventsClient(url, token);
  await waitFor(() => ev.of("snapshot").length > 0, "snapshot");
  const out = { started: [] as number[], spawned: [] as number[] };
  try {
    for (const id of ids) {
      const t0 = performance.now();
      const jobId = (await api.createJobs({ action: "validate", targets: { devices: [id] } })).jobs[0]!.jobId;
      // The worker's `started` (it has the job and begins preparing) sets phase "prepare";
      // the validate phase begins when the build process is spawned.
      const started = (m: EventsServerMessage) =>
        m.type === "job" && m.id === jobId && m.job?.state === "running" && m.job.phase !== null;
      const spawned = (m: EventsServerMessage) => m.type === "job" && m.id === jobId && m.job?.phase === "validate";
      await waitFor(() => ev.arrival(spawned), "build start", 10_000, 1);
      out.started.push(ev.arrival(started)! - t0);
      out.spawned.push(ev.arrival(spawned)! - t0);
      await waitFor(
        () => ev.of("job").some((e) => e.id === jobId && TERMINAL.includes(e.job?.state ?? "")),
        "validate end",
        10_000,
        2,
      );
    }
  } finally {
    ev.close();
  }
  return out;
}

/** Time from a state change (a job queued through the API) until each of 20 subscribers has it. */
async function fanOut(
  url: string,
  token: string,
  api: Api,
  clients: EventsClient[],
  deviceId: string,
): Promise<number[]> {
  for (let i = 0; i < FLEET.subscribers; i++) clients.push(new EventsClient(url, token));
  await waitFor(() => clients.every((c) => c.of("snapshot").length > 0), "subscribers ready");
  const out: number[] = [];
  for (let round = 0; round < 30; round++) {
    const t0 = performance.now();
    const jobId = (await api.createJobs({ action: "validate", targets: { devices: [deviceId] } })).jobs[0]!.jobId;
    const queued = (m: EventsServerMessage) => m.type === "job" && m.id === jobId;
    await waitFor(() => clients.every((c) => c.arrival(queued) !== undefined), "fan-out", 10_000, 1);
    for (const c of clients) out.push(c.arrival(queued)! - t0);
    await waitFor(async () => TERMINAL.includes((await api.job(jobId)).state), "fan-out job end", 10_000, 5);
  }
  return out;
}

function strip(r: RebuildResult) {
  return { makespanMs: r.makespanMs, boundMs: r.boundMs, ratio: r.ratio, jobs: r.jobs.length };
}
