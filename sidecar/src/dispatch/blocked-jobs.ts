// Keeps `blocked` true: a waiting job that no online worker can take (a tag nobody has, its pinned
// worker offline, a routing rule) is `blocked` with the reason, and goes back to `queued` the moment
// that changes. Cost per event, not per queue: a job is judged when it changes (enqueue, coalesce,
// requeue) or its device does; the whole waiting set only when the online workers' routing picture
// (ids, tags, slots turned off) or the rules change, in slices, with verdicts memoised per requirement.
// Heartbeats and finished jobs change neither, so they cost one fingerprint comparison.
import type { JobParams, RoutedDevice, RoutingRule } from "@esphome-forge/shared";
import type { JobQueue, WaitingRow } from "../queue/job-queue.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { blockedReason, requirementOf, type Capability } from "./job-requirements.js";

/** Longest one slice of a full recheck runs before it yields the event loop. */
const SLICE_MS = 8;
const PAGE = 256;

export interface BlockedJobsDeps {
  queue: JobQueue;
  registry: WorkerRegistry;
  device: (id: string) => RoutedDevice | undefined;
  rules: () => readonly RoutingRule[];
  /** Called when a slice left work for later, or jobs went back to `queued` (a dispatch pass is due). */
  kick: () => void;
}

export class BlockedJobs {
  private readonly pending = new Set<number>();
  private fingerprint = "";
  private rulesJson = "";
  /** The id a full recheck continues after; null when none is under way. */
  private cursor: number | null = null;
  private online: Capability[] = [];

  constructor(private readonly d: BlockedJobsDeps) {}

  /** A job changed: judge it at the next pass if it waits. */
  jobChanged(job: { id: number; state: string }): void {
    if (job.state === "queued" || job.state === "blocked") this.pending.add(job.id);
  }

  /** A device's tags, platform or name changed: another rule may apply to its waiting jobs. */
  deviceChanged(deviceId: string): void {
    for (const row of this.d.queue.waitingForDevice(deviceId)) this.pending.add(row.id);
  }

  /** Run at the start of each dispatch pass, before the queue is read. */
  sync(): void {
    const online = this.capabilities();
    const fingerprint = online.map((w) => `${w.id}:${w.name}:${w.disabled ? 0 : 1}:${[...w.tags].join(",")}`).join(";");
    const rulesJson = JSON.stringify(this.d.rules());
    this.online = online;
    if (fingerprint !== this.fingerprint || rulesJson !== this.rulesJson) {
      this.fingerprint = fingerprint;
      this.rulesJson = rulesJson;
      this.cursor = 0; // (re)start the walk over every waiting job
    }
    const memo = new Map<string, string | null>();
    if (this.pending.size > 0) {
      const ids = [...this.pending];
      this.pending.clear();
      for (const id of ids) {
        const job = this.d.queue.get(id);
        if (job && (job.state === "queued" || job.state === "blocked"))
          this.judge(job.id, job.deviceId, job.params, memo);
      }
    }
    if (this.cursor !== null) this.walk(memo);
  }

  private walk(memo: Map<string, string | null>): void {
    const start = performance.now();
    while (this.cursor !== null) {
      const page = this.d.queue.waitingPage(this.cursor, PAGE);
      for (const row of page) this.judgeRow(row, memo);
      this.cursor = page.length < PAGE ? null : page[page.length - 1]!.id;
      if (this.cursor !== null && performance.now() - start >= SLICE_MS) {
        setImmediate(() => this.d.kick());
        return;
      }
    }
  }

  private judgeRow(row: WaitingRow, memo: Map<string, string | null>): void {
    this.judge(row.id, row.device_id, JSON.parse(row.params) as JobParams, memo, row);
  }

  private judge(
    id: number,
    deviceId: string,
    params: JobParams,
    memo: Map<string, string | null>,
    row?: WaitingRow,
  ): void {
    const req = requirementOf(params, this.d.device(deviceId), this.d.rules());
    let reason = memo.get(req.key);
    if (reason === undefined) {
      reason = blockedReason(req, this.online);
      memo.set(req.key, reason);
    }
    // Rows from a page say whether anything changes: most waiting jobs are left untouched, unwritten.
    if (row && (row.state === "blocked") === (reason !== null) && (row.blocked_reason ?? null) === reason) return;
    const changed = this.d.queue.setBlocked(id, reason);
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
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
