// Pushes queued jobs to free worker slots. Order: priority, then FIFO. Worker choice: a job that
// was lost on a worker (crash, hang, lease lapse, handed back) goes to another eligible worker
// first; then the worker holding the device's warm build cache when it has a free slot, or will
// have one sooner than a cold build would cost; otherwise the least-loaded eligible worker. Free
// slots follow what each worker's heartbeat says it runs. Every decision is recorded on the job as
// its dispatch reason, with what narrowed the choice (a pin, the job's tags, a routing rule); a
// builder never flashes and a flasher never builds (worker-hub/worker-roles.ts). Before
// each pass, `BlockedJobs` moves jobs no online worker can take to `blocked` (and back).
import type { AssignMessage, Job, WorkerRole } from "@esphome-forge/shared";
import type { Affinity } from "../queue/job-history.js";
import type { Placement } from "../queue/job-reads.js";
import type { Holder, JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import { Turns } from "../util/turns.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import type { WorkerSession } from "../worker-hub/worker-session.js";
import { needsFlasher, roleRefusal } from "../worker-hub/worker-roles.js";
import type { BlockedJobs } from "./blocked-jobs.js";
import { DurationModel } from "./duration-model.js";
import { canTake, routingWords, type Requirement } from "./job-requirements.js";

/** How long a job lost on a worker waits for another one before it may go back to that worker. */
const LOST_RETRY_WAIT_MS = 60_000;

export interface AssignmentBuilder {
  /** Builds the assign message (config files, address, firmware); throws with a user-facing reason. */
  build(job: Job, holder: Holder): Promise<AssignMessage>;
  /** The worker that built the image this job would flash (never given that flash), if any. */
  builtBy?(job: Job): string | null;
}

/** What one dispatch pass reads once: per online worker, and each device's warm worker (when asked). */
interface PassState {
  slots: Map<string, number>;
  tags: Map<string, Set<string>>;
  roles: Map<string, WorkerRole[]>;
  local: Set<string>;
  runningBy: Map<string, Placement[]>;
  free: Map<string, number>;
  affinity: (deviceId: string) => Affinity | undefined;
  requirement: (job: Job) => Requirement;
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
  /** Assignments are built (config files read, bundled and packed) one per event-loop turn: a pass that fills
   * 20 free slots at once had built all 20 in one turn. */
  private readonly buildTurns = new Turns();

  constructor(
    private readonly queue: JobQueue,
    private readonly registry: WorkerRegistry,
    private readonly builder: AssignmentBuilder,
    private readonly clock: Clock,
    private readonly log: (msg: string) => void,
    /** What a job needs from a worker (its pin, its tags, the routing rule for its device). */
    private readonly requirementOf: (job: Job) => Requirement,
    private readonly blocked?: BlockedJobs,
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
   * One pass over the queue. Everything per worker (slots, tags, running jobs) is read once per pass,
   * not once per queued job, and a device's warm worker once per pass at most. The queue is read a page
   * at a time and the pass stops when the free slots are filled: with a whole fleet queued, a pass reads
   * a few rows, not all of them (each job finishing starts a pass).
   */
  private pass(): void {
    this.blocked?.sync();
    const sessions = this.registry.online().filter((s) => !this.registry.diskLow(s)); // low on disk: skipped
    const running = this.queue.placements();
    const terms = new Map(sessions.map((s) => [s.id, this.registry.terms(s)])); // one row read each
    const p: PassState = {
      slots: new Map(sessions.map((s) => [s.id, terms.get(s.id)!.slots])),
      tags: new Map(sessions.map((s) => [s.id, new Set(terms.get(s.id)!.tags)])),
      roles: new Map(sessions.map((s) => [s.id, terms.get(s.id)!.roles])),
      local: new Set(sessions.filter((s) => terms.get(s.id)!.local).map((s) => s.id)),
      runningBy: new Map(sessions.map((s) => [s.id, running.filter((j) => j.workerId === s.id)])),
      affinity: memo((deviceId) => this.queue.affinity(deviceId)),
      requirement: (job) => this.requirementOf(job),
      free: new Map(),
    };
    for (const s of sessions)
      p.free.set(s.id, this.registry.freeSlots(s, p.runningBy.get(s.id)!.length, p.slots.get(s.id)));
    let totalFree = [...p.free.values()].reduce((a, b) => a + b, 0);
    if (totalFree === 0) return;
    const busyDevices = new Set(running.map((j) => j.deviceId));
    // A first page sized to the free slots (twice over: some jobs wait for a busy device or another worker).
    for (const job of this.queue.queuedInOrder(totalFree * 2)) {
      if (totalFree === 0) break;
      if (job.state !== "queued" || busyDevices.has(job.deviceId)) continue;
      const req = p.requirement(job);
      const builtBy = needsFlasher(job) ? (this.builder.builtBy?.(job) ?? job.builtBy ?? null) : null;
      const eligible = sessions.filter((s) => this.eligible({ ...job, builtBy }, req, s, p));
      // Retries of a job lost on a worker go elsewhere first: to the others, waiting a while for them if
      // busy, and only then back to a worker that lost it.
      const lost = this.queue.lostOn(job.id);
      const others = eligible.filter((s) => !lost.includes(s.id));
      let choice = this.choose(job, others.length ? others : eligible, p, lost);
      const waited = this.clock.now() - Date.parse(job.updatedAt);
      if (!choice && others.length && waited >= LOST_RETRY_WAIT_MS) choice = this.choose(job, eligible, p, lost);
      if (!choice) continue;
      const narrowed = routingWords(req);
      // A pinned job had one possible worker: "least loaded" or "affinity" would be untrue words.
      const reason = req.pinned !== null ? narrowed : narrowed ? `${narrowed}; ${choice.reason}` : choice.reason;
      const assigned = this.queue.assign(job.id, choice.session.id, reason);
      if (!assigned) continue;
      p.free.set(choice.session.id, (p.free.get(choice.session.id) ?? 1) - 1);
      p.runningBy.get(choice.session.id)?.push({
        id: job.id,
        deviceId: job.deviceId,
        workerId: choice.session.id,
        startedAtMs: this.clock.now(),
      });
      totalFree--;
      busyDevices.add(job.deviceId);
      this.warmByJob.set(job.id, choice.warm);
      this.stats.assigned++;
      if (choice.warm) this.stats.affinityHits++;
      void this.send(choice.session, assigned.job, assigned.holder);
    }
  }

  private async send(session: WorkerSession, job: Job, holder: Holder): Promise<void> {
    try {
      await this.buildTurns.next();
      const msg = await this.builder.build(job, holder);
      // A cancel may have arrived while the assignment was being prepared: the worker has never
      // heard of this job, so it could not have received that cancel. Stop here, never send it.
      const now = this.queue.get(job.id);
      if (now?.cancelRequested) {
        this.queue.complete(job.id, holder, {
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
      // Lost meanwhile (the worker reconnected without it, say): the assignment is void, do not send it.
      if (this.queue.holds(job.id, holder)) session.send(msg);
    } catch (err) {
      const reason = `could not prepare the job: ${(err as Error).message}`;
      this.queue.appendLog(job.id, null, `[forge] ${reason}\n`);
      this.queue.complete(job.id, holder, {
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

  private eligible(job: Job, req: Requirement, s: WorkerSession, p: PassState): boolean {
    const disabled = p.slots.get(s.id) === 0;
    // A builder never flashes; a flasher never builds (worker-hub/worker-roles.ts).
    if (roleRefusal(job, { id: s.id, roles: p.roles.get(s.id) ?? [], local: p.local.has(s.id) }) !== null) return false;
    // The requirement knows the step: a compile_upload's flash goes to any flasher (job-requirements).
    const roles = p.roles.get(s.id) ?? [];
    return canTake(req, { id: s.id, tags: p.tags.get(s.id) ?? new Set(), disabled, roles, local: p.local.has(s.id) });
  }

  private warmWorker(job: Job, eligible: WorkerSession[], p: PassState): WorkerSession | undefined {
    const aff = p.affinity(job.deviceId);
    if (aff) return eligible.find((s) => s.id === aff.workerId);
    // After a sidecar restart with no history, trust what the workers say they have on disk.
    return eligible.find((s) => s.hello.warmDevices.includes(job.deviceId));
  }

  private choose(job: Job, eligible: WorkerSession[], p: PassState, lost: string[]): Choice | null {
    if (eligible.length === 0) return null;
    const choice = this.chooseAmong(job, eligible, p);
    if (!choice || lost.length === 0) return choice;
    const where = lost.includes(choice.session.id)
      ? `it was lost on ${choice.session.id} before, and no other eligible worker had a free slot`
      : `${lost.join(", ")} lost this job before, so it runs elsewhere first`;
    return { ...choice, reason: `${choice.reason}; ${where}` };
  }

  private chooseAmong(job: Job, eligible: WorkerSession[], p: PassState): Choice | null {
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

function memo<T>(fn: (key: string) => T): (key: string) => T {
  const seen = new Map<string, T>();
  return (key) => {
    if (!seen.has(key)) seen.set(key, fn(key));
    return seen.get(key)!;
  };
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}
