// The sidecar's Prometheus metrics (GET /api/v1/metrics). State the sidecar already holds —
// queue depth by state and priority, workers online, slots, the trust log's audit — is read when
// scraped, so it is never stale and costs nothing between scrapes; durations, dispatch latency
// and trust decisions are recorded as jobs move (job-observer.ts). Its own registry: nothing
// else in the process can add to or clash with it.
//
// `forge_queue_demand` is the one number an autoscaler needs (KEDA's metrics-api trigger reads it
// with `format: prometheus`): jobs that want a build slot now, queued or running. Divided by the
// slots of one worker it is the number of workers that would keep up.
import { ACTIVE_JOB_STATES, JOB_ACTIONS, JOB_PRIORITIES, type Job, type TrustStatus } from "@esphome-forge/shared";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { JobQueue } from "../queue/job-queue.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { JobObserver } from "./job-observer.js";

export interface MetricsSources {
  queue: JobQueue;
  workers: WorkerRegistry;
  devices: () => number;
  /** The trust engine's status (policy, revocation list, log audit); null without trust. */
  trust: (() => TrustStatus) | null;
  version: string;
  instanceId: string;
  /** Whether the data folder counts as full (durability/disk-state.ts); absent = never. */
  diskFull?: () => boolean;
  now?: () => number;
}

/** Seconds; builds take from seconds (validate) to an hour (a cold toolchain). */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600];
/** Seconds from queued to running: milliseconds with a free slot, minutes when the fleet is busy. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 60, 300, 900, 3600];

export class ForgeMetrics {
  readonly registry = new Registry();
  private readonly observer: JobObserver;

  constructor(private readonly src: MetricsSources) {
    const r = this.registry;
    // The Node process (memory, CPU, GC, event loop lag). The lag is sampled every 100 ms rather
    // than prom-client's 10 ms, so an idle sidecar is not woken a hundred times a second.
    collectDefaultMetrics({ register: r, prefix: "forge_sidecar_", eventLoopMonitoringPrecision: 100 });
    new Gauge({
      name: "forge_info",
      help: "Always 1; the sidecar's version and instance id as labels",
      labelNames: ["version", "instance_id"],
      registers: [r],
    }).set({ version: src.version, instance_id: src.instanceId }, 1);
    const { diskFull } = src;
    new Gauge({
      name: "forge_data_disk_full",
      help: "1 while the sidecar's data folder counts as full: writes are refused with 507 and dispatch waits",
      registers: [r],
      collect() {
        this.set(diskFull?.() ? 1 : 0);
      },
    });
    this.queueGauges();
    this.workerGauges();
    this.trustGauges();

    const duration = new Histogram({
      name: "forge_job_duration_seconds",
      help: "How long finished jobs ran on a worker, by action and end state",
      labelNames: ["action", "state"],
      buckets: DURATION_BUCKETS,
      registers: [r],
    });
    const latency = new Histogram({
      name: "forge_dispatch_latency_seconds",
      help: "From a job being queued (or requeued) to a worker slot starting it",
      labelNames: ["action"],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    const finished = new Counter({
      name: "forge_jobs_finished_total",
      help: "Jobs that ended, by action and end state (cancelled while queued included)",
      labelNames: ["action", "state"],
      registers: [r],
    });
    const decisions = new Counter({
      name: "forge_trust_decisions_total",
      help: "Content-trust decisions jobs ended with: allowed, warned or blocked, at approval or at the flash gate",
      labelNames: ["outcome", "stage"],
      registers: [r],
    });
    for (const action of JOB_ACTIONS) latency.zero({ action });
    for (const outcome of ["allowed", "warned", "blocked"])
      for (const stage of ["approval", "gate"]) decisions.inc({ outcome, stage }, 0);
    this.observer = new JobObserver(
      {
        dispatchLatency: (s, action) => latency.observe({ action }, s),
        finished: (job, s) => {
          finished.inc({ action: job.action, state: job.state });
          if (s !== null) duration.observe({ action: job.action, state: job.state }, s);
        },
        trustDecision: (outcome, stage) => decisions.inc({ outcome, stage }),
      },
      src.now ?? Date.now,
      src.queue.active(),
    );
  }

  /** Feed every job change from the queue. */
  jobChanged(job: Job): void {
    this.observer.jobChanged(job);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private queueGauges(): void {
    const { queue } = this.src;
    const r = this.registry;
    new Gauge({
      name: "forge_queue_jobs",
      help: "Jobs waiting or running, by state and priority",
      labelNames: ["state", "priority"],
      registers: [r],
      collect() {
        this.reset();
        for (const state of ACTIVE_JOB_STATES) for (const priority of JOB_PRIORITIES) this.set({ state, priority }, 0);
        for (const j of queue.active()) this.inc({ state: j.state, priority: j.priority });
      },
    });
    new Gauge({
      name: "forge_jobs_running",
      help: "Jobs running on a worker now",
      registers: [r],
      collect() {
        this.set(queue.running().length);
      },
    });
    new Gauge({
      name: "forge_queue_demand",
      help: "Jobs that want a build slot now (queued + running): what an autoscaler scales workers on",
      registers: [r],
      collect() {
        this.set(queue.queued().length + queue.running().length);
      },
    });
    const devices = this.src.devices;
    new Gauge({
      name: "forge_devices",
      help: "Devices in the ESPHome config folder",
      registers: [r],
      collect() {
        this.set(devices());
      },
    });
  }

  private workerGauges(): void {
    const { workers, queue } = this.src;
    const r = this.registry;
    /** Per kind (the built-in local worker or remote ones): online workers, their slots, busy slots. */
    const tally = () => {
      const out = { local: { online: 0, total: 0, busy: 0 }, remote: { online: 0, total: 0, busy: 0 } };
      for (const s of workers.online()) {
        const t = workers.wasLocal(s.id) ? out.local : out.remote;
        t.online += 1;
        t.total += workers.slotsOf(s);
        t.busy += queue.runningOn(s.id).length;
      }
      return out;
    };
    const gauge = (name: string, help: string, pick: (t: { online: number; total: number; busy: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["kind"],
        registers: [r],
        collect() {
          const t = tally();
          this.set({ kind: "local" }, pick(t.local));
          this.set({ kind: "remote" }, pick(t.remote));
        },
      });
    gauge(
      "forge_workers_online",
      "Build workers connected now (kind: the built-in local worker or remote)",
      (t) => t.online,
    );
    gauge("forge_slots_total", "Build slots of the connected workers", (t) => t.total);
    gauge("forge_slots_busy", "Build slots running a job now", (t) => t.busy);
  }

  private trustGauges(): void {
    const status = this.src.trust;
    if (!status) return;
    const r = this.registry;
    // One read of the trust status per scrape, shared by the gauges below.
    let cached: { at: number; value: TrustStatus } | null = null;
    const read = () => {
      const now = Date.now();
      if (!cached || now - cached.at > 1000) cached = { at: now, value: status() };
      return cached.value;
    };
    new Gauge({
      name: "forge_trust_log_audit_ok",
      help: "1 when the last consistency check of the transparency log passed, 0 when it failed or never ran",
      registers: [r],
      collect() {
        this.set(read().log.audit?.ok ? 1 : 0);
      },
    });
    new Gauge({
      name: "forge_trust_log_audit_problems",
      help: "Problems the last consistency check of the transparency log found",
      registers: [r],
      collect() {
        this.set(read().log.audit?.problems.length ?? 0);
      },
    });
    new Gauge({
      name: "forge_trust_log_audit_timestamp_seconds",
      help: "When the transparency log was last checked (Unix time; 0 = never)",
      registers: [r],
      collect() {
        const at = read().log.audit?.checkedAt;
        this.set(at ? Date.parse(at) / 1000 : 0);
      },
    });
    new Gauge({
      name: "forge_trust_log_entries",
      help: "Entries in the content-trust transparency log",
      registers: [r],
      collect() {
        this.set(read().log.size);
      },
    });
    new Gauge({
      name: "forge_trust_revocation_list_expiry_timestamp_seconds",
      help: "When the revocation list expires (Unix time; 0 = no list yet); after it every verdict reads stale",
      registers: [r],
      collect() {
        const exp = read().revocations?.expiresAt;
        this.set(exp ? Date.parse(exp) / 1000 : 0);
      },
    });
  }
}
