// What the sidecar does with each message a connected worker sends about its jobs. Every
// job message carries (jobId, fence); the queue refuses any whose fence is not the current
// assignment, so a worker that lost its lease can neither log to, renew nor complete the job.
import type { FirmwareImage, Job, WorkerToSidecar } from "@esphome-forge/shared";
import type { DiskState } from "../durability/disk-state.js";
import type { EventBus } from "../events/event-bus.js";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { JobQueue } from "../queue/job-queue.js";
import { WorkerLogIntake } from "./worker-log-intake.js";
import type { WorkerRegistry } from "./worker-registry.js";
import type { ReceivedFirmware, WorkerSession } from "./worker-session.js";
import type { WorkerTrustGate } from "./worker-trust-gate.js";

type Msg<T extends WorkerToSidecar["type"]> = Extract<WorkerToSidecar, { type: T }>;

export interface WorkerMessagesOptions {
  queue: JobQueue;
  registry: WorkerRegistry;
  firmware: FirmwareStore;
  bus: EventBus;
  /** Called after a job ends or a slot frees: the dispatcher looks for more work. */
  onCapacityChange: () => void;
  /** Called once for every job a worker finished (accepted results only). */
  onJobFinished: (job: Job) => void;
  log: (msg: string) => void;
  /** Content trust: approves builds, answers the upload gate, records flashes. */
  trust?: WorkerTrustGate;
  /** The data folder's disk: while full, output and results are answered "send again later". */
  disk?: Pick<DiskState, "full" | "report" | "message" | "retryAfterMs">;
  /** Why an announced image cannot be a real build for the job's device (firmware/image-floor.ts), else null. */
  implausible?: (deviceId: string, image: FirmwareImage) => string | null;
}

export class WorkerMessages {
  private readonly logs: WorkerLogIntake;

  constructor(private readonly o: WorkerMessagesOptions) {
    this.logs = new WorkerLogIntake(o.queue, o.disk);
  }

  handle(session: WorkerSession, msg: WorkerToSidecar): void {
    switch (msg.type) {
      case "hello":
        session.send({ type: "error", code: "unexpected_hello", message: "hello is only valid as the first message" });
        return;
      case "heartbeat":
        return this.heartbeat(session, msg);
      case "started":
        this.o.queue.setPhase(msg.jobId, msg.fence, msg.phase, null);
        // Belt and braces: if a cancel was requested while the job was on its way, repeat it now
        // that the worker certainly knows the job.
        if (this.o.queue.get(msg.jobId)?.cancelRequested) {
          session.send({ type: "cancel", jobId: msg.jobId, fence: msg.fence, reason: "cancelled by request" });
        }
        return;
      case "progress":
        this.o.queue.setPhase(msg.jobId, msg.fence, msg.phase, msg.percent);
        return;
      case "log":
        return this.logs.receive(session, msg);
      case "firmware":
        session.pendingFirmware = { jobId: msg.jobId, fence: msg.fence, image: msg.image };
        return;
      case "result":
        return this.resultOrLater(session, msg);
      case "provenance":
        void session
          .firmwareFor(msg.jobId, msg.fence)
          .then((received) => this.o.trust?.provenance(session, msg, msg.bundle, received))
          .catch((err: unknown) => this.o.log(`job ${msg.jobId}: approval failed: ${(err as Error).message}`));
        return;
      case "release":
        return this.release(session, msg);
    }
  }

  onFirmwareBytes(session: WorkerSession, bytes: Buffer): void {
    const pending = session.pendingFirmware;
    session.pendingFirmware = null;
    if (!pending) {
      session.send({
        type: "error",
        code: "unexpected_binary",
        message: "binary frame without a preceding firmware message",
      });
      return;
    }
    const { jobId, fence, image } = pending;
    const job = this.o.queue.get(jobId);
    if (job?.state !== "running" || job.workerId !== session.id) return; // stale: ignore the bytes
    // An empty or truncated image is refused whatever the policy: never archived, never flashed.
    const implausible = this.o.implausible?.(job.deviceId, { ...image, size: bytes.length });
    if (implausible) {
      this.o.queue.appendLog(jobId, null, `\n\x1b[31m[forge] ${implausible}\x1b[0m\n`);
      session.addFirmware(jobId, fence, { image, ok: false, error: implausible });
      return;
    }
    // The digest is checked and the file written off the event loop; the result waits for it.
    const received = this.o.firmware.putAsync(bytes, image.sha256, image.size).then(
      (): ReceivedFirmware => ({ image, ok: true }),
      (err: unknown): ReceivedFirmware => {
        // No space is not the build's fault: the result is answered "send again later" (resultOrLater).
        if (this.o.disk?.report(err, `archiving firmware ${image.name}`)) throw err;
        const reason = (err as Error).message;
        this.o.queue.appendLog(jobId, null, `\n[forge] firmware ${image.name} rejected on receipt: ${reason}\n`);
        return { image, ok: false, error: reason };
      },
    );
    session.addFirmware(jobId, fence, received);
  }

  private heartbeat(session: WorkerSession, msg: Msg<"heartbeat">): void {
    for (const ref of msg.runningJobs) this.o.queue.renewLease(ref.jobId, ref.fence);
    const versions = msg.esphomeVersions;
    const changed = versions !== undefined && versions.join("\n") !== session.hello.esphomeVersions.join("\n");
    if (versions) session.hello = { ...session.hello, esphomeVersions: versions };
    const wasLow = this.o.registry.diskLow(session);
    if (msg.diskFreeBytes !== undefined) session.diskFreeBytes = msg.diskFreeBytes;
    const lowChanged = this.o.registry.diskLow(session) !== wasLow;
    this.o.registry.touch(session.id);
    // A worker's ESPHome versions and low-disk state are part of its view: announce a change.
    if (changed || lowChanged) this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
    if (lowChanged && !this.o.registry.diskLow(session)) this.o.onCapacityChange(); // space is back: work for it
  }

  private async result(session: WorkerSession, msg: Msg<"result">): Promise<void> {
    const { queue } = this.o;
    const received = await session.firmwareFor(msg.jobId, msg.fence);
    session.forgetFirmware(msg.jobId, msg.fence);
    let { outcome, error, phase } = msg;
    if (outcome === "succeeded") {
      // Every image the result names must have arrived intact; otherwise the build did not succeed.
      const problem = firmwareProblem(msg.firmware, received);
      if (problem) {
        outcome = "failed";
        error = problem;
        phase = phase ?? "compile";
      }
    }
    if (outcome === "succeeded" && this.o.trust) {
      const override = await this.o.trust.checkResult(session, msg, received).catch((err: unknown) => ({
        outcome: "failed" as const,
        phase: "compile" as const,
        error: `content trust check failed: ${(err as Error).message}`,
      }));
      if (override) ({ outcome, phase, error } = override);
    }
    if (msg.validationErrors?.length) {
      const lines = msg.validationErrors.map((e) => `  ${e.file ?? "?"}:${e.line ?? "?"}: ${e.message}`);
      queue.appendLog(msg.jobId, msg.fence, `\n[forge] validation errors:\n${lines.join("\n")}\n`);
    }
    const job = queue.complete(msg.jobId, msg.fence, {
      outcome,
      phase,
      error,
      firmware: outcome === "succeeded" ? msg.firmware : [],
      esphomeVersion: msg.esphomeVersion,
      validationErrors: msg.validationErrors ?? [],
    });
    session.send({
      type: "ack",
      jobId: msg.jobId,
      fence: msg.fence,
      accepted: job !== undefined,
      reason: job ? null : "this worker no longer holds the job (its lease lapsed or it was reassigned)",
    });
    if (job) {
      this.o.trust?.flashed(job);
      this.o.onJobFinished(job);
      this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
      this.o.onCapacityChange();
    }
  }

  /** A result the sidecar cannot record now (its disk is full) is neither lost nor failed: the worker keeps it. */
  private resultOrLater(session: WorkerSession, msg: Msg<"result">): void {
    const later = () => {
      session.forgetFirmware(msg.jobId, msg.fence); // the worker sends the frames again with the result
      const { jobId, fence } = msg;
      const retryAfterMs = this.o.disk!.retryAfterMs;
      session.send({ type: "ack", jobId, fence, accepted: false, reason: this.o.disk!.message(), retryAfterMs });
    };
    if (this.o.disk?.full) return later();
    this.result(session, msg).catch((err: unknown) => {
      if (!this.o.disk?.report(err, `recording job ${msg.jobId}'s result`)) throw err;
      later();
    });
  }

  private release(session: WorkerSession, msg: Msg<"release">): void {
    const job = this.o.queue.release(msg.jobId, msg.fence, `worker ${session.id} released the job: ${msg.reason}`);
    session.send({ type: "ack", jobId: msg.jobId, fence: msg.fence, accepted: job !== undefined, reason: null });
    if (job) {
      this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
      this.o.onCapacityChange();
    }
  }
}

function firmwareProblem(
  announced: { name: string; sha256: string }[],
  received: { image: { name: string; sha256: string }; ok: boolean; error?: string }[],
): string | null {
  for (const image of announced) {
    const got = received.find((r) => r.image.sha256 === image.sha256 && r.image.name === image.name);
    if (!got) return `firmware ${image.name} was named in the result but never received`;
    if (!got.ok) return `firmware ${image.name} failed its check on receipt: ${got.error ?? "unknown"}`;
  }
  return null;
}
