// Pushes queued jobs to free worker slots. Order: priority, then FIFO. Worker choice: the
// worker holding the device's warm build cache when it has a free slot, or will have one
// sooner than a cold build would cost; otherwise the least-loaded eligible worker. Every
// decision is recorded on the job as its dispatch reason.
import type { AssignMessage, Job } from "@esphome-forge/shared";
import type { Affinity } from "../queue/job-history.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import type { WorkerSession } from "../worker-hub/worker-session.js";
import { DurationModel } from "./duration-model.js";

export interface AssignmentBuilder {
  /** Builds the assign message (config files, address, firmware); throws with a user-facing reason. */
  build(job: Job, fence: number): Promise<AssignMessage>;
}

/** What one dispatch pass reads once: per online worker, and the device → warm worker table. */
interface PassState {
  slots: Map<string, number>;
  tags: Map<string, Set<string>>;
  runningBy: Map<string, Job[]>;
  free: Map<string, number>;
  affinity: Map<string, Affinity>;
}

interface Choice {
  session: WorkerSession;
  reason: string;
  warm: boolean;
}

export class Dispatcher {
  readonly durations = new DurationModel();
  private scheduled = false;
  /** jobId → whether it was sent to the worker with the warm cache (for the duration model). */
  private readonly warmByJob = new Map<number, boolean>();
  private stats = { assigned: 0, affinityHits: 0 };

  constructor(
    private readonly queue: JobQueue,
    private readonly registry: WorkerRegistry,
    private readonly builder: AssignmentBuilder,
    private readonly clock: Clock,
    private readonly log: (msg: string) => void,
  ) {}

  /** Schedules one dispatch pass on the next tick; many kicks in a row cost one pass. */
  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pass();
    });
  }

  jobFinished(job: Job): void {
    const warm = this.warmByJob.get(job.id);
    this.warmByJob.delete(job.id);
    if (
      job.state === "succeeded" &&
      job.durationMs != null &&
      (job.action === "compile" || job.action === "compile_upload")
    ) {
      this.durations.record(job.deviceId, job.durationMs, warm ?? false);
    }
  }

  affinityStats(): { assigned: number; affinityHits: number } {
    return { ...this.stats };
  }

  /**
   * One pass over the queue. Everything per worker (slots, tags, running jobs) and the affinity
   * table is read once per pass, not once per queued job: with a long queue whose jobs wait for
   * their warm worker, a pass otherwise costs thousands of queries and delays every assignment.
   */
  private pass(): void {
    const sessions = this.registry.online().filter((s) => !this.registry.diskLow(s)); // low on disk: skipped
    const running = this.queue.running();
    const p: PassState = {
      slots: new Map(sessions.map((s) => [s.id, this.registry.slotsOf(s)])),
      tags: new Map(sessions.map((s) => [s.id, new Set(this.registry.tagsOf(s))])),
      runningBy: new Map(sessions.map((s) => [s.id, running.filter((j) => j.workerId === s.id)])),
      affinity: this.queue.affinities(),
      free: new Map(),
    };
    for (const s of sessions) p.free.set(s.id, Math.max(0, p.slots.get(s.id)! - p.runningBy.get(s.id)!.length));
    let totalFree = [...p.free.values()].reduce((a, b) => a + b, 0);
    if (totalFree === 0) return;
    const busyDevices = new Set(running.map((j) => j.deviceId));
    for (const job of this.queue.queued()) {
      if (totalFree === 0) break;
      if (job.state !== "queued" || busyDevices.has(job.deviceId)) continue;
      const eligible = sessions.filter((s) => this.eligible(job, s, p));
      const choice = this.choose(job, eligible, p);
      if (!choice) continue;
      const assigned = this.queue.assign(job.id, choice.session.id, choice.reason);
      if (!assigned) continue;
      p.free.set(choice.session.id, (p.free.get(choice.session.id) ?? 1) - 1);
      p.runningBy.get(choice.session.id)?.push(assigned.job);
      totalFree--;
      busyDevices.add(job.deviceId);
      this.warmByJob.set(job.id, choice.warm);
      this.stats.assigned++;
      if (choice.warm) this.stats.affinityHits++;
      void this.send(choice.session, assigned.job, assigned.fence);
    }
  }

  private async send(session: WorkerSession, job: Job, fence: number): Promise<void> {
    try {
      const msg = await this.builder.build(job, fence);
      // A cancel may have arrived while the assignment was being prepared: the worker has never
      // heard of this job, so it could not have received that cancel. Stop here, never send it.
      const now = this.queue.get(job.id);
      if (now?.cancelRequested) {
        this.queue.complete(job.id, fence, {
          outcome: "cancelled",
          phase: "dispatch",
          error: "cancelled before the worker started it",
          firmware: [],
          esphomeVersion: null,
        });
        this.warmByJob.delete(job.id);
        this.kick();
        return;
      }
      session.send(msg);
    } catch (err) {
      const reason = `could not prepare the job: ${(err as Error).message}`;
      this.queue.appendLog(job.id, null, `[forge] ${reason}\n`);
      this.queue.complete(job.id, fence, {
        outcome: "failed",
        phase: "prepare",
        error: reason,
        firmware: [],
        esphomeVersion: null,
      });
      this.warmByJob.delete(job.id);
      this.kick();
    }
  }

  private eligible(job: Job, s: WorkerSession, p: PassState): boolean {
    if (p.slots.get(s.id) === 0) return false;
    if (job.params.workerId && job.params.workerId !== s.id) return false;
    const want = job.params.workerTags ?? [];
    if (want.length > 0) {
      const have = p.tags.get(s.id) ?? new Set();
      if (!want.every((t) => have.has(t))) return false;
    }
    return true;
  }

  private warmWorker(job: Job, eligible: WorkerSession[], p: PassState): WorkerSession | undefined {
    const aff = p.affinity.get(job.deviceId);
    if (aff) return eligible.find((s) => s.id === aff.workerId);
    // After a sidecar restart with no history, trust what the workers say they have on disk.
    return eligible.find((s) => s.hello.warmDevices.includes(job.deviceId));
  }

  private choose(job: Job, eligible: WorkerSession[], p: PassState): Choice | null {
    if (eligible.length === 0) return null;
    const { free, slots } = p;
    const warm = this.warmWorker(job, eligible, p);
    let why = "no worker has a warm build cache for this device";
    if (warm) {
      if ((free.get(warm.id) ?? 0) > 0) {
        return { session: warm, warm: true, reason: `affinity: ${warm.id} holds the warm build cache` };
      }
      const now = this.clock.now();
      const waitMs = this.durations.expectedFreeInMs(
        p.runningBy.get(warm.id) ?? [],
        now,
        (j) => this.warmByJob.get(j.id) ?? false,
      );
      const penaltyMs = this.durations.coldPenaltyMs(job.deviceId);
      if (waitMs <= penaltyMs) return null; // worth waiting: a slot on the warm worker frees soon
      why = `warm worker ${warm.id} busy for ~${fmt(waitMs)}, longer than the ~${fmt(penaltyMs)} a cold build costs`;
    }
    const candidates = eligible.filter((s) => (free.get(s.id) ?? 0) > 0);
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => {
      const fa = (free.get(a.id) ?? 0) / Math.max(1, slots.get(a.id) ?? 1);
      const fb = (free.get(b.id) ?? 0) / Math.max(1, slots.get(b.id) ?? 1);
      return fb - fa || (free.get(b.id) ?? 0) - (free.get(a.id) ?? 0) || a.id.localeCompare(b.id);
    });
    const best = candidates[0]!;
    const f = free.get(best.id) ?? 0;
    return {
      session: best,
      warm: false,
      reason: `least loaded: ${best.id} (${f}/${slots.get(best.id) ?? 0} slots free); ${why}`,
    };
  }
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}
