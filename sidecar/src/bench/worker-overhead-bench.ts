// What the worker adds around a build, seen from the sidecar's events: a real sidecar, one real
// worker process, and the shell stand-in's `validate` (an echo) as the build. Per job: enqueue →
// the build phase starts (the worker is about to spawn) → the stand-in's first log line arrives →
// the result is in (terminal job event). The overhead is that total minus the stand-in command's
// own runtime, measured on its own the same way (sh -c, same environment).
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { EventsServerMessage } from "@esphome-forge/shared";
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
  type SidecarProc,
} from "../devtools/processes.js";
import { median, percentile, type BenchRow } from "./stats.js";

const JOBS = 60;
const WARMUP = 5;
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const FIRST_LINE = "Configuration is valid";

/** Spawn → exit of the stand-in alone, the way the worker runs it. */
export async function standinRuntime(runs: number): Promise<number[]> {
  const out: number[] = [];
  const cwd = tempDir("forge-bench-standin-");
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const p = spawn("/bin/sh", ["-c", STANDIN_FAST_COMMAND], {
        cwd,
        env: { ...process.env, FORGE_PHASE: "validate" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      p.stdout.resume();
      p.stderr.resume();
      p.once("error", reject);
      p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`stand-in exited ${code}`))));
    });
    out.push(performance.now() - t0);
  }
  return out;
}

export interface OverheadSample {
  total: number;
  spawn: number;
  firstLine: number | null;
  result: number;
}

/**
 * One worker process on `sc` (plain http on loopback, or https pinning the sidecar's key when `tls`),
 * `jobs` stand-in validate jobs after a warm-up, one at a time: the per-job timings seen from the events.
 */
export async function measureJobs(
  sc: SidecarProc,
  o: { tls: boolean; jobs: number; name: string },
): Promise<OverheadSample[]> {
  const api = new Api(sc.url, sc.token);
  const ev = new EventsClient(sc.url, sc.token);
  let worker: ProcHandle | null = null;
  try {
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: o.name });
    const port = new URL(sc.url).port;
    worker = startWorker({
      url: o.tls ? `https://127.0.0.1:${port}` : `http://127.0.0.1:${port}`,
      token: secret,
      name: o.name,
      slots: 1,
      buildCommand: STANDIN_FAST_COMMAND,
      extraArgs: o.tls ? ["--server-fingerprint", sc.fingerprint] : [],
    });
    await waitFor(
      async () =>
        (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
          (w) => w.name === o.name && w.online,
        ),
      "worker online",
      30_000,
    );
    await waitFor(() => ev.of("snapshot").length > 0, "snapshot");
    const samples: OverheadSample[] = [];
    for (let i = 0; i < WARMUP + o.jobs; i++) {
      const t0 = performance.now();
      const jobId = (await api.createJobs({ action: "validate", targets: { devices: ["overhead"] } })).jobs[0]!.jobId;
      ev.send({ type: "subscribe_log", jobId, offset: 0 });
      const end = (m: EventsServerMessage) =>
        m.type === "job" && m.id === jobId && TERMINAL.includes(m.job?.state ?? "");
      await waitFor(() => ev.arrival(end), `job ${jobId}`, 10_000, 1);
      const spawned = ev.arrival((m) => m.type === "job" && m.id === jobId && m.job?.phase === "validate");
      // Only a chunk that arrived live counts: the first reply to subscribe_log is what was already stored.
      const logs = ev.messages
        .map((m, k) => ({ m, at: ev.receivedAt[k]! }))
        .filter((x) => x.m.type === "log" && x.m.jobId === jobId);
      const first = logs.find((x) => x.m.type === "log" && x.m.chunk.includes(FIRST_LINE));
      const live = first && first !== logs[0];
      const state = (ev.messages.find(end) as Extract<EventsServerMessage, { type: "job" }>).job!.state;
      if (state !== "succeeded") throw new Error(`overhead job ${jobId} ${state}`);
      ev.send({ type: "unsubscribe_log", jobId });
      if (i >= WARMUP && spawned !== undefined) {
        const result = ev.arrival(end)!;
        samples.push({
          total: result - t0,
          spawn: spawned - t0,
          firstLine: live ? first.at - spawned : null,
          result: result - spawned,
        });
      }
      ev.messages.splice(0);
      ev.receivedAt.splice(0);
    }
    return samples;
  } finally {
    ev.close();
    await worker?.stop();
  }
}

export async function benchWorkerOverhead(): Promise<{ rows: BenchRow[]; raw: Record<string, unknown> }> {
  const dataDir = tempDir("forge-bench-overhead-");
  writeFleet(join(dataDir, "config"), [{ id: "overhead" }]);
  const sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0, env: { FORGE_ESPHOME_BIN: "" } });
  try {
    const samples = await measureJobs(sc, { tls: false, jobs: JOBS, name: "overhead" });
    const standin = await standinRuntime(JOBS);
    const standinMs = median(standin);
    const overhead = samples.map((s) => s.total - standinMs);
    const firstLines = samples.map((s) => s.firstLine).filter((x): x is number => x !== null);
    const p = (xs: number[], q: number) => Number(percentile(xs, q).toFixed(1));
    const rows: BenchRow[] = [
      { metric: "stand-in command alone (sh -c, median)", value: Number(standinMs.toFixed(1)), unit: "ms" },
      {
        metric: `worker overhead per job p50 (${samples.length} jobs)`,
        value: p(overhead, 50),
        unit: "ms",
        target: "< 100",
        pass: percentile(overhead, 50) < 100,
      },
      {
        metric: "worker overhead per job p95",
        value: p(overhead, 95),
        unit: "ms",
        target: "< 100",
        pass: percentile(overhead, 95) < 100,
      },
      {
        metric: "enqueue → build phase starts p50",
        value: p(
          samples.map((s) => s.spawn),
          50,
        ),
        unit: "ms",
      },
      {
        metric: `build phase starts → first log line p50 (${firstLines.length} live)`,
        value: p(firstLines, 50),
        unit: "ms",
      },
      {
        metric: "build phase starts → result received p50",
        value: p(
          samples.map((s) => s.result),
          50,
        ),
        unit: "ms",
      },
      {
        metric: "build phase starts → result received p95",
        value: p(
          samples.map((s) => s.result),
          95,
        ),
        unit: "ms",
      },
    ];
    return { rows, raw: { jobs: samples.length, standinMs: standin, samples } };
  } finally {
    await sc.stop();
  }
}
