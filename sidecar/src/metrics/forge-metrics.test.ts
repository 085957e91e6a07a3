// The metrics against a real queue (SQLite, manual clock) and a real worker registry: gauges read
// at scrape time, and durations, dispatch latency and trust decisions recorded once per real
// transition however often the queue re-announces a job.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { queueFixture, req, runJob, type QueueFixture } from "../../test-support/queue-fixture.js";
import { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { ForgeMetrics } from "./forge-metrics.js";

/** `name{labels} value` lines of the exposition, keyed by the series as written. */
async function scrape(m: ForgeMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await m.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function metricsFor(f: QueueFixture, diskFull?: () => boolean): ForgeMetrics {
  const m = new ForgeMetrics({
    diskFull,
    queue: f.queue,
    workers: new WorkerRegistry(f.db, f.queue, f.clock),
    devices: () => 7,
    trust: null,
    version: "9.9.9",
    instanceId: "abc",
    now: () => f.clock.now(),
  });
  f.queue.on("job", (job) => m.jobChanged(job));
  return m;
}

describe("ForgeMetrics", () => {
  it("says whether the data folder is full, read when scraped", async () => {
    let full = false;
    const m = metricsFor(queueFixture(), () => full);
    expect((await scrape(m)).get("forge_data_disk_full")).toBe(0);
    full = true;
    expect((await scrape(m)).get("forge_data_disk_full")).toBe(1);
    expect((await scrape(metricsFor(queueFixture()))).get("forge_data_disk_full")).toBe(0);
  });

  it("reads queue depth by state and priority, demand and running jobs when scraped", async () => {
    const f = queueFixture();
    const m = metricsFor(f);
    f.queue.enqueue(req("a", "compile", "bulk"));
    f.queue.enqueue(req("b", "compile", "bulk"));
    const { job } = f.queue.enqueue(req("c", "validate", "interactive"));
    f.queue.assign(job.id, "w1", "test");
    const s = await scrape(m);
    expect(s.get('forge_queue_jobs{state="queued",priority="bulk"}')).toBe(2);
    expect(s.get('forge_queue_jobs{state="running",priority="interactive"}')).toBe(1);
    expect(s.get('forge_queue_jobs{state="queued",priority="automation"}')).toBe(0); // present at zero
    expect(s.get("forge_queue_demand")).toBe(3);
    expect(s.get("forge_jobs_running")).toBe(1);
    expect(s.get("forge_devices")).toBe(7);
    expect(s.get('forge_info{version="9.9.9",instance_id="abc"}')).toBe(1);
    expect(s.get('forge_workers_online{kind="remote"}')).toBe(0);
  });

  it("records dispatch latency from queued (or requeued) to running, and duration once per finished job", async () => {
    const f = queueFixture({ leaseMs: 5000 });
    const m = metricsFor(f);
    const { job } = f.queue.enqueue(req("a"));
    f.clock.advance(2000);
    const first = f.queue.assign(job.id, "w1", "test")!;
    f.queue.setPhase(job.id, first.holder, "compile", 10); // re-announced, same state: no new sample
    // The worker vanishes: the lease lapses and the job waits again, from that moment.
    f.clock.advance(6000);
    f.queue.expireLeases();
    f.clock.advance(500);
    const second = f.queue.assign(job.id, "w2", "test")!;
    f.clock.advance(3000);
    f.queue.complete(job.id, second.holder, {
      outcome: "succeeded",
      phase: null,
      error: null,
      firmware: [],
      esphomeVersion: null,
    });
    f.queue.touch(job.id); // announced again after it ended: not counted twice
    const s = await scrape(m);
    expect(s.get('forge_dispatch_latency_seconds_count{action="compile"}')).toBe(2);
    expect(s.get('forge_dispatch_latency_seconds_sum{action="compile"}')).toBeCloseTo(2.5, 3);
    expect(s.get('forge_dispatch_latency_seconds_bucket{le="2.5",action="compile"}')).toBe(2);
    expect(s.get('forge_dispatch_latency_seconds_bucket{le="1",action="compile"}')).toBe(1);
    expect(s.get('forge_jobs_finished_total{action="compile",state="succeeded"}')).toBe(1);
    expect(s.get('forge_job_duration_seconds_count{action="compile",state="succeeded"}')).toBe(1);
    expect(s.get("forge_queue_demand")).toBe(0);
  });

  it("counts a job cancelled while queued as finished, without a duration", async () => {
    const f = queueFixture();
    const m = metricsFor(f);
    runJob(f, "a", "failed", 4000, "compile_upload");
    const { job } = f.queue.enqueue(req("b", "upload"));
    f.queue.requestCancel(job.id);
    const s = await scrape(m);
    expect(s.get('forge_jobs_finished_total{action="upload",state="cancelled"}')).toBe(1);
    expect(s.has('forge_job_duration_seconds_count{action="upload",state="cancelled"}')).toBe(false);
    expect(s.get('forge_job_duration_seconds_sum{action="compile_upload",state="failed"}')).toBeCloseTo(4, 3);
  });

  it("shows flashes waiting for their device by state, outside the demand; their dispatch latency starts when the device is back", async () => {
    const f = queueFixture();
    f.queue.waits.useJudge(() => "a is offline");
    const m = metricsFor(f);
    const { job } = f.queue.enqueue(req("a", "upload", "bulk"));
    f.clock.advance(3_600_000); // an hour waiting for the device: not a dispatch latency
    let s = await scrape(m);
    expect(s.get('forge_queue_jobs{state="waiting_for_device",priority="bulk"}')).toBe(1);
    expect(s.get("forge_queue_demand")).toBe(0); // no worker can do anything for it: no autoscaling on it
    f.queue.waits.deviceOnline("a");
    f.clock.advance(1500);
    f.queue.assign(job.id, "w1", "test");
    s = await scrape(m);
    expect(s.get('forge_dispatch_latency_seconds_sum{action="upload"}')).toBeCloseTo(1.5, 3);
  });

  it("after a restart, times jobs that were already waiting from when they were created", async () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("a"));
    f.clock.advance(10_000);
    f.reopen();
    const m = metricsFor(f); // a new process: the job was queued before it started
    f.queue.assign(job.id, "w1", "test");
    const s = await scrape(m);
    expect(s.get('forge_dispatch_latency_seconds_sum{action="compile"}')).toBeCloseTo(10, 3);
  });

  it("starts every trust decision series at zero", async () => {
    const s = await scrape(metricsFor(queueFixture()));
    for (const outcome of ["allowed", "warned", "blocked"])
      expect(s.get(`forge_trust_decisions_total{outcome="${outcome}",stage="gate"}`)).toBe(0);
  });
});

describe("the Grafana dashboard (deploy/grafana/esphome-forge.json)", () => {
  it("queries only metrics the sidecar exposes", async () => {
    const f = queueFixture();
    const m = new ForgeMetrics({
      queue: f.queue,
      workers: new WorkerRegistry(f.db, f.queue, f.clock),
      devices: () => 0,
      trust: () => ({
        policy: "enforce",
        revocations: null,
        revocationError: null,
        log: { size: 3, audit: null },
        keys: { active: 1, retired: 0, revoked: 0 },
      }),
      version: "1",
      instanceId: "x",
    });
    const exposed = new Set([...(await m.text()).matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]!));
    const dashboard = JSON.parse(
      readFileSync(fileURLToPath(new URL("../../../deploy/grafana/esphome-forge.json", import.meta.url)), "utf8"),
    ) as { panels: { targets: { expr: string }[] }[]; templating: { list: { definition?: string }[] } };
    const exprs = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => v.definition ?? ""),
    ];
    const used = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\bforge_[a-z0-9_]+/g)].map((x) => x[0].replace(/_(bucket|sum|count)$/, ""))),
    );
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
