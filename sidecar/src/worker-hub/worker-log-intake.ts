// Numbered log chunks from the worker holding the job (the caller checked; the queue checks again in
// its transaction): stored in order (repeats dropped, lost ranges marked), acknowledged with `log_ack`
// — coalesced to one ack per job per event-loop turn — and, while the data folder's disk is full,
// answered "send them again later" instead of being lost.
import type { WorkerToSidecar } from "@esphome-forge/shared";
import type { DiskState } from "../durability/disk-state.js";
import type { Holder, JobQueue } from "../queue/job-queue.js";
import type { WorkerSession } from "./worker-session.js";

type LogMsg = Extract<WorkerToSidecar, { type: "log" }>;

export class WorkerLogIntake {
  /** Per session: jobId → the ack to send at the end of this turn. */
  private readonly pending = new Map<WorkerSession, Map<number, { fence: string; seq: number }>>();
  private scheduled = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly disk?: Pick<DiskState, "full" | "report" | "retryAfterMs">,
  ) {}

  receive(session: WorkerSession, holder: Holder, msg: LogMsg): void {
    if (this.disk?.full) return this.later(session, msg);
    let r: ReturnType<JobQueue["appendWorkerLog"]>;
    try {
      r = this.queue.appendWorkerLog(msg.jobId, holder, { seq: msg.seq, keptFrom: msg.keptFrom, text: msg.chunk });
    } catch (err) {
      if (!this.disk?.report(err, `storing job ${msg.jobId}'s output`)) throw err;
      return this.later(session, msg);
    }
    // `ahead`: an earlier chunk is on its way again (after a "later"); it is acknowledged then.
    if (r.status === "stored" || r.status === "duplicate") this.ack(session, msg.jobId, msg.fence, r.seq);
  }

  private later(session: WorkerSession, msg: LogMsg): void {
    const seq = this.queue.lastLogSeq(msg.jobId, msg.fence);
    this.pending.get(session)?.delete(msg.jobId);
    const retryAfterMs = this.disk?.retryAfterMs ?? 5000;
    session.send({ type: "log_ack", jobId: msg.jobId, fence: msg.fence, seq, retryAfterMs });
  }

  private ack(session: WorkerSession, jobId: number, fence: string, seq: number): void {
    let acks = this.pending.get(session);
    if (!acks) this.pending.set(session, (acks = new Map()));
    acks.set(jobId, { fence, seq });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const [s, m] of this.pending) {
        for (const [id, a] of m) s.send({ type: "log_ack", jobId: id, fence: a.fence, seq: a.seq });
      }
      this.pending.clear();
    });
  }
}
