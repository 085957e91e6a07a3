// Turns the queue's job events into the event-driven metrics: how long a job waited for a slot
// (queued → running), how long it ran (by action and end state), and the content-trust decision
// it ended with. The queue announces every change of a job (phase, progress, log size too), so
// this remembers each active job's last state and counts only real transitions, once.
import { TERMINAL_JOB_STATES, type Job, type JobState } from "@esphome-forge/shared";

export interface JobObservations {
  dispatchLatency(seconds: number, action: Job["action"]): void;
  finished(job: Job, seconds: number | null): void;
  trustDecision(outcome: string, stage: string): void;
}

export class JobObserver {
  /** Active jobs: their last state, and since when they wait for a slot (ms). */
  private readonly active = new Map<number, { state: JobState; queuedAt: number | null }>();

  constructor(
    private readonly out: JobObservations,
    private readonly now: () => number,
    activeJobs: Job[],
  ) {
    // Jobs from before a restart: a queued one has waited since it was created, as far as we know.
    for (const j of activeJobs)
      this.active.set(j.id, { state: j.state, queuedAt: waitsForSlot(j.state) ? Date.parse(j.createdAt) : null });
  }

  jobChanged(job: Job): void {
    const prev = this.active.get(job.id);
    if (prev?.state === job.state) return;
    if (TERMINAL_JOB_STATES.includes(job.state)) {
      // Seen before as active: it just finished. (A terminal job not seen active was announced
      // again after it ended, or ended before this process started: counted already or never ours.)
      if (!prev) return;
      this.active.delete(job.id);
      this.out.finished(job, durationSeconds(job));
      if (job.trust) this.out.trustDecision(job.trust.outcome, job.trust.stage);
      return;
    }
    if (job.state === "running") {
      const since = prev?.queuedAt ?? Date.parse(job.createdAt);
      if (Number.isFinite(since)) this.out.dispatchLatency(Math.max(0, this.now() - since) / 1000, job.action);
      this.active.set(job.id, { state: "running", queuedAt: null });
      return;
    }
    // Waiting for its device is not waiting for a slot: the dispatch latency counts from when it is queued again.
    if (job.state === "waiting_for_device") {
      this.active.set(job.id, { state: job.state, queuedAt: null });
      return;
    }
    // queued or blocked: waiting (again, after a lapsed lease) from now on.
    this.active.set(job.id, { state: job.state, queuedAt: prev?.queuedAt ?? this.now() });
  }

  /** Jobs remembered as active (for tests: nothing leaks once jobs end). */
  get tracked(): number {
    return this.active.size;
  }
}

const waitsForSlot = (s: JobState) => s === "queued" || s === "blocked";

function durationSeconds(job: Job): number | null {
  if (job.durationMs !== null) return job.durationMs / 1000;
  if (!job.startedAt || !job.finishedAt) return null; // cancelled while queued: it never ran
  return Math.max(0, Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
}
