// The jobs this worker holds, from `assign` until the sidecar acknowledges how they ended:
// starts runs within the slot count, streams their messages, keeps results (with firmware)
// until `ack`, sends them again after a reconnect, and hands jobs back with `release`.
import type { SidecarToWorker } from "@esphome-forge/shared";
import type { WorkerConnection } from "./connection.js";
import type { DeviceLocks } from "./device-locks.js";
import { failedResult, refOf, resultMessage, type HeldJob, type JobRef } from "./held-job.js";
import { JobRun, formatMs, type JobChannel, type JobOutcome, type RunnerConfig } from "./job-runner.js";
import { JobLog, type LogSink } from "./log-stream.js";
import type { WorkerTrust } from "./worker-trust.js";

type Msg<T extends SidecarToWorker["type"]> = Extract<SidecarToWorker, { type: T }>;

export interface JobTableOptions {
  conn: Pick<WorkerConnection, "send" | "sendBinary" | "ready" | "congested" | "whenDrained">;
  runner: RunnerConfig;
  locks: DeviceLocks;
  log: (line: string) => void;
  offlineLogCapChars?: number;
  /** Asked at each assignment: how many jobs may run, and whether new work is taken at all. */
  capacity: () => { slots: number; accepting: boolean };
  /** Content trust: signs provenance and runs the compile_upload gate (absent: unsigned results). */
  trust?: WorkerTrust;
  /** After a job ended and its device folder is free again (the build cache cap). */
  afterJob?: (deviceId: string) => void;
}

export class JobTable {
  private readonly jobs = new Map<number, HeldJob>();
  private readonly releaseAcks = new Set<string>();

  constructor(private readonly o: JobTableOptions) {}

  /** Every job still held (running, or finished with its result unacknowledged): for hello. */
  heldRefs(): JobRef[] {
    return [...this.jobs.values()].filter((j) => !j.discard).map((j) => j.ref);
  }

  /** Jobs still running: heartbeats renew their leases. */
  runningRefs(): JobRef[] {
    return this.running().map((j) => j.ref);
  }

  busySlots(): number {
    return this.running().length;
  }

  get isEmpty(): boolean {
    return this.jobs.size === 0;
  }

  /** True while results or releases wait for the sidecar's ack. */
  awaitingAcks(): boolean {
    return this.releaseAcks.size > 0 || [...this.jobs.values()].some((j) => j.result);
  }

  assign(m: Msg<"assign">): void {
    const { conn, log } = this.o;
    const ref: JobRef = { jobId: m.jobId, fence: m.fence };
    const { slots, accepting } = this.o.capacity();
    if (!accepting) return this.release(ref, "the worker is shutting down");
    const existing = this.jobs.get(m.jobId);
    if (existing) {
      if (existing.ref.fence === m.fence) return log(`job ${m.jobId}: ignoring a repeated assignment`);
      this.discard(existing, null); // reassigned to this worker: the earlier assignment is over
    }
    const busy = this.busySlots();
    if (busy >= slots) return this.release(ref, `no free slot (${busy} of ${slots} busy)`);
    const jobLog = new JobLog(this.logSink(ref), { offlineCapChars: this.o.offlineLogCapChars });
    const job: HeldJob = {
      ref,
      deviceId: m.deviceId,
      run: null,
      log: jobLog,
      finished: false,
      result: null,
      images: [],
      discard: null,
      retryTimer: null,
    };
    this.jobs.set(m.jobId, job);
    log(`job ${m.jobId}: ${m.action} ${m.deviceId}`);
    const channel: JobChannel = {
      started: (phase) => void conn.send({ type: "started", ...ref, phase }),
      progress: (phase, percent) => void conn.send({ type: "progress", ...ref, phase, percent }),
      log: jobLog,
      congested: () => conn.congested(),
      whenDrained: (fn) => conn.whenDrained(fn),
    };
    const startedAt = Date.now();
    const trust = this.o.trust;
    job.run = new JobRun(m, this.o.runner, channel, this.o.locks);
    void job.run.done.then(async (done) => {
      let outcome: JobOutcome & { provenance?: string } = done;
      if (trust && m.action === "compile" && outcome.outcome === "succeeded" && outcome.images.length) {
        try {
          outcome = {
            ...outcome,
            provenance: await trust.provenance(m, outcome.images, outcome.esphomeVersion, startedAt),
          };
        } catch (err) {
          jobLog.note(`[forge worker] could not sign the build provenance: ${(err as Error).message}`);
        }
      }
      this.onDone(job, outcome);
      this.o.afterJob?.(m.deviceId);
    });
  }

  /** An assignment that failed validation (a path leaving the build folder, say) fails at once. */
  invalid(raw: unknown): void {
    const ref = refOf(raw);
    if ((raw as { type?: unknown } | null)?.type !== "assign" || !ref || this.jobs.has(ref.jobId)) return;
    const log = new JobLog(this.logSink(ref));
    const job: HeldJob = {
      ref,
      deviceId: "",
      run: null,
      log,
      finished: true,
      result: null,
      images: [],
      discard: null,
      retryTimer: null,
    };
    job.result = failedResult(
      ref,
      "prepare",
      "the worker refused an invalid assignment (see the worker log); no file was written",
    );
    this.jobs.set(ref.jobId, job);
    this.sendResult(job);
  }

  cancel(m: Msg<"cancel">): void {
    const job = this.jobs.get(m.jobId);
    if (!job?.run || job.ref.fence !== m.fence || job.finished) return;
    this.o.log(`job ${m.jobId}: cancel (${m.reason})`);
    void job.run.stop("cancel", m.reason || "cancelled");
  }

  /** The sidecar says this worker does not hold the job (any more): stop it and forget it, no result. */
  abandon(m: Msg<"abandon">): void {
    const job = this.jobs.get(m.jobId);
    if (job?.ref.fence !== m.fence || job.discard) return;
    this.o.log(`job ${m.jobId}: dropped (${m.reason})`);
    this.discard(job, null);
  }

  ack(m: Msg<"ack">): void {
    this.releaseAcks.delete(`${m.jobId}:${m.fence}`);
    const job = this.jobs.get(m.jobId);
    if (!job || job.ref.fence !== m.fence || !job.finished) return;
    if (!m.accepted && m.retryAfterMs && job.result) {
      // Not refused, just not now (the sidecar's disk is full): keep the result and its firmware.
      this.o.log(
        `job ${m.jobId}: the sidecar cannot take the result yet (${m.reason ?? "busy"}); sending it again later`,
      );
      return this.resendLater(job, m.retryAfterMs);
    }
    if (!m.accepted)
      this.o.log(`job ${m.jobId}: the sidecar did not take the result (${m.reason ?? "stale"}); dropping it`);
    this.forget(job);
  }

  /** The sidecar stored the job's log chunks up to `seq` (or, with retryAfterMs, wants the rest again later). */
  logAck(m: Msg<"log_ack">): void {
    const job = this.jobs.get(m.jobId);
    if (!job || job.ref.fence !== m.fence) return;
    if (!m.retryAfterMs) return job.log.ack(m.seq);
    job.log.retryLater(m.seq, m.retryAfterMs);
    // A finished job's result waits behind its output: try both again once the pause is over.
    if (job.result) this.resendLater(job, m.retryAfterMs);
  }

  /** After a (re)connect: stop what the sidecar abandoned, then flush buffered logs and unacked results. */
  welcome(abandon: JobRef[]): void {
    for (const ref of abandon) {
      const job = this.jobs.get(ref.jobId);
      if (job?.ref.fence !== ref.fence) continue;
      this.o.log(`job ${ref.jobId}: the sidecar no longer wants it; stopping it`);
      this.discard(job, null);
    }
    for (const job of this.jobs.values()) {
      if (job.discard) continue;
      job.log.resendAll();
      if (job.result) this.sendResult(job);
      else if (job.run) this.o.conn.send({ type: "progress", ...job.ref, phase: job.run.phase, percent: null });
    }
  }

  /** Kills every running job and hands it back with `reason`; resolves when all have ended. */
  async releaseRunning(reason: string): Promise<void> {
    const running = this.running();
    for (const job of running) this.discard(job, reason);
    await Promise.all(running.map((j) => j.run?.done));
  }

  /** Drops everything without telling the sidecar (it refused this worker). */
  dropAll(): void {
    for (const job of this.jobs.values()) this.discard(job, null);
  }

  async settled(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.run?.done));
  }

  disposeAll(): void {
    for (const job of this.jobs.values()) job.log.dispose();
  }

  private running(): HeldJob[] {
    return [...this.jobs.values()].filter((j) => !j.finished && !j.discard);
  }

  private onDone(job: HeldJob, outcome: JobOutcome & { provenance?: string }): void {
    job.finished = true;
    if (job.discard) {
      if (job.discard.release !== null) this.release(job.ref, job.discard.release);
      this.forget(job);
      return;
    }
    job.result = resultMessage(job.ref, outcome);
    job.images = outcome.images;
    const detail = outcome.error ? ` (${outcome.phase}: ${outcome.error})` : "";
    this.o.log(`job ${job.ref.jobId}: ${outcome.outcome}${detail} in ${formatMs(outcome.durationMs)}`);
    this.sendResult(job);
  }

  /** Firmware frames, then the result; repeated after each reconnect until acknowledged. */
  private sendResult(job: HeldJob): void {
    const { conn } = this.o;
    if (!job.result || !conn.ready) return;
    job.log.flush(); // the last lines of output go before the result
    if (job.log.pendingChars > 0) {
      // Connection lost meanwhile: the next welcome retries. Output paused ("later"): try again soon.
      if (conn.ready) this.resendLater(job, 1000);
      return;
    }
    for (const img of job.images) {
      // The binary frame must directly follow its `firmware` message: both are queued back to back.
      if (!conn.send({ type: "firmware", ...job.ref, image: img.image }) || !conn.sendBinary(img.bytes)) return;
    }
    conn.send(job.result);
  }

  private discard(job: HeldJob, release: string | null): void {
    if (job.discard) return;
    job.discard = { release };
    if (job.finished || !job.run) this.forget(job);
    else void job.run.stop("abandon", release ?? "abandoned by the sidecar");
  }

  private resendLater(job: HeldJob, ms: number): void {
    if (job.retryTimer) return;
    job.retryTimer = setTimeout(() => {
      job.retryTimer = null;
      if (this.jobs.get(job.ref.jobId) === job) this.sendResult(job);
    }, ms);
  }

  /** Numbered log chunks of one assignment, sent as `log` messages. */
  private logSink(ref: JobRef): LogSink {
    return {
      trySend: (c) => this.o.conn.send({ type: "log", ...ref, seq: c.seq, keptFrom: c.keptFrom, chunk: c.text }),
    };
  }

  private forget(job: HeldJob): void {
    if (job.retryTimer) clearTimeout(job.retryTimer);
    job.retryTimer = null;
    job.log.dispose();
    if (this.jobs.get(job.ref.jobId) === job) this.jobs.delete(job.ref.jobId);
  }

  private release(ref: JobRef, reason: string): void {
    if (this.o.conn.send({ type: "release", ...ref, reason })) this.releaseAcks.add(`${ref.jobId}:${ref.fence}`);
    this.o.log(`job ${ref.jobId}: released (${reason})`);
  }
}
