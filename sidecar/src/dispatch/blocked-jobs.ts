// Keeps `blocked` true: a waiting job that no online worker can take (a tag nobody has, its pinned
// worker offline, a routing rule) is `blocked` with the reason, and goes back to `queued` the moment
// that changes. Cost per event, not per queue: a job is judged when it changes (enqueue, coalesce,
// requeue) or its device does; the whole waiting set only when the online workers' routing picture
// (ids, tags, slots turned off) or the rules change, in slices, with verdicts memoised per requirement.
// Heartbeats and finished jobs change neither, so they cost one fingerprint comparison.
import type { Job, JobParams, RoutedDevice, RoutingRule } from "@esphome-forge/shared";
import type { JobQueue, RoutableRow } from "../queue/job-queue.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { blockedReason, requirementFor, type Capability } from "./job-requirements.js";

/** Longest one slice of a full recheck runs before it yields the event loop. */
const SLICE_MS = 8;
const PAGE = 64;

/** A waiting job's routing inputs (a row with its params parsed). */
type WaitingJob = Omit<RoutableRow, "params"> & { params: JobParams };

const parsed = (row: RoutableRow): WaitingJob => ({ ...row, params: JSON.parse(row.params) as JobParams });

export interface BlockedJobsDeps {
  queue: JobQueue;
  registry: WorkerRegistry;
  device: (id: string) => RoutedDevice | undefined;
  rules: () => readonly RoutingRule[];
  /** Called when a slice left work for later, or jobs went back to `queued` (a dispatch pass is due). */
  kick: () => void;
}

export class BlockedJobs {
  /** Jobs changed since the last pass, as their latest event showed them (no re-read per job). */
  private readonly pending = new Map<number, WaitingJob>();
  private fingerprint = "";
  private rulesJson = "";
  /** The id a full recheck continues after; null when none is under way. */
  private cursor: number | null = null;
  private online: Capability[] = [];

  constructor(private readonly d: BlockedJobsDeps) {}

  /** A job changed: judge it at the next pass if it waits (a job that moved on is dropped). */
  jobChanged(job: Job): void {
    if (job.state === "queued" || job.state === "blocked") {
      this.pending.set(job.id, {
        id: job.id,
        device_id: job.deviceId,
        action: job.action,
        step: job.step ?? null,
        built_by: job.builtBy ?? null,
        params: job.params,
        state: job.state,
        blocked_reason: job.blockedReason ?? null,
      });
    } else this.pending.delete(job.id);
  }

  /** A device's tags, platform or name changed: another rule may apply to its waiting jobs. */
  deviceChanged(deviceId: string): void {
    for (const row of this.d.queue.routable.ofDevice(deviceId)) this.pending.set(row.id, parsed(row));
  }

  /** Run at the start of each dispatch pass, before the queue is read. */
  sync(): void {
    const online = this.capabilities();
    const fingerprint = online
      .map((w) => `${w.id}:${w.name}:${w.disabled ? 0 : 1}:${[...w.tags].join(",")}:${(w.roles ?? []).join(",")}`)
      .join(";");
    const rulesJson = JSON.stringify(this.d.rules());
    this.online = online;
    if (fingerprint !== this.fingerprint || rulesJson !== this.rulesJson) {
      this.fingerprint = fingerprint;
      this.rulesJson = rulesJson;
      this.cursor = 0; // (re)start the walk over every waiting job
    }
    const memo = new Map<string, string | null>();
    const start = performance.now();
    // Changed jobs first, then the walk; both stop at the slice's end and go on at the next pass.
    for (const job of this.pending.values()) {
      this.pending.delete(job.id);
      this.judge(job, memo);
      if (performance.now() - start >= SLICE_MS && (this.pending.size > 0 || this.cursor !== null)) return this.later();
    }
    while (this.cursor !== null) {
      const page = this.d.queue.routable.page(this.cursor, PAGE);
      for (const row of page) {
        this.judge(parsed(row), memo);
        this.cursor = row.id;
        if (performance.now() - start >= SLICE_MS) return this.later();
      }
      if (page.length < PAGE) this.cursor = null;
    }
  }

  /** The slice is used up: another pass soon does the rest. */
  private later(): void {
    setImmediate(() => this.d.kick());
  }

  /** One job against the online workers; written only when its state or reason changes. */
  private judge(job: WaitingJob, memo: Map<string, string | null>): void {
    const step = { action: job.action, step: job.step, builtBy: job.built_by, params: job.params };
    const req = requirementFor(step, this.d.device(job.device_id), this.d.rules());
    let reason = memo.get(req.key);
    if (reason === undefined) {
      reason = blockedReason(req, this.online);
      memo.set(req.key, reason);
    }
    // Most waiting jobs keep their verdict and are never written; setBlocked checks the state again.
    if ((job.state === "blocked") === (reason !== null) && job.blocked_reason === reason) return;
    const changed = this.d.queue.routable.setBlocked(job.id, reason);
    if (changed?.state === "queued") this.d.kick();
  }

  private capabilities(): Capability[] {
    return this.d.registry
      .online()
      .map((s) => ({
        id: s.id,
        name: s.hello.name,
        tags: new Set([...this.d.registry.tagsOf(s)].sort()),
        disabled: this.d.registry.slotsOf(s) === 0,
        roles: this.d.registry.rolesOf(s),
        local: this.d.registry.wasLocal(s.id),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
