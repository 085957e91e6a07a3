// What the sidecar does with each message a connected worker sends. Every message about a job is
// honoured only when the sending worker holds that job under that fence (`JobQueue.holds`, checked
// once here, and again inside each queue change): anything else about a job the worker does not hold
// gets an explicit answer that frees its slot — `ack` refused, `approval` refused, or `abandon` —
// and changes nothing, not even the job's trust verdict (a log chunk is never stored nor acknowledged).
// While the data folder's disk is full, the holder's output, results and approval requests are
// answered "send it again later" (`retryAfterMs`): the worker keeps them, nothing is lost.
import { otaImage, type FirmwareImage, type Job, type WorkerToSidecar } from "@esphome-forge/shared";
import type { DiskState } from "../durability/disk-state.js";
import type { EventBus } from "../events/event-bus.js";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { Holder, JobQueue } from "../queue/job-queue.js";
import { Turns } from "../util/turns.js";
import { WorkerLogIntake } from "./worker-log-intake.js";
import type { WorkerRegistry } from "./worker-registry.js";
import type { ReceivedFirmware, WorkerSession } from "./worker-session.js";
import { WorkerTrustGate, type Decision } from "./worker-trust-gate.js";

type Msg<T extends WorkerToSidecar["type"]> = Extract<WorkerToSidecar, { type: T }>;
type JobMsg = Exclude<WorkerToSidecar, { type: "hello" | "proof" | "heartbeat" }>;

/** Firmware frames one assignment may send per connection (a result names at most 16 images). */
const MAX_FRAMES_PER_JOB = 32;

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
  trust: WorkerTrustGate;
  /** The data folder's disk: while full, output, results and approvals are answered "send again later". */
  disk?: Pick<DiskState, "full" | "report" | "message" | "retryAfterMs">;
  /** Why an announced image cannot be a real build for the job's device (firmware/image-floor.ts), else null. */
  implausible?: (deviceId: string, image: FirmwareImage) => string | null;
  /** The loop turns a result's steps take (util/turns.ts), shared with the trust gate's `turn`. */
  turns?: Turns;
}

export class WorkerMessages {
  private readonly logs: WorkerLogIntake;
  /**
   * A result is handled in loop turns of its own (many arrive together in a fleet build): its approval
   * (the trust gate), then the check of what was approved and the record (after the gate's `turn`).
   */
  private readonly turns: Turns;

  constructor(private readonly o: WorkerMessagesOptions) {
    this.logs = new WorkerLogIntake(o.queue, o.disk);
    this.turns = o.turns ?? new Turns();
  }

  handle(session: WorkerSession, msg: WorkerToSidecar): void {
    if (msg.type === "hello" || msg.type === "proof") {
      const message = `${msg.type} is only valid while connecting`;
      session.send({ type: "error", code: `unexpected_${msg.type}`, message });
      return;
    }
    if (msg.type === "heartbeat") return this.heartbeat(session, msg);
    const holder: Holder = { workerId: session.id, fence: msg.fence };
    if (!this.o.queue.holds(msg.jobId, holder)) return this.notHeld(session, msg);
    switch (msg.type) {
      case "started":
        this.o.queue.setPhase(msg.jobId, holder, msg.phase, null);
        // Belt and braces: if a cancel was requested while the job was on its way, repeat it now
        // that the worker certainly knows the job.
        if (this.o.queue.get(msg.jobId)?.cancelRequested) {
          session.send({ type: "cancel", jobId: msg.jobId, fence: msg.fence, reason: "cancelled by request" });
        }
        return;
      case "progress":
        this.o.queue.setPhase(msg.jobId, holder, msg.phase, msg.percent);
        return;
      case "log":
        return this.logs.receive(session, holder, msg);
      case "firmware":
        session.pendingFirmware = { jobId: msg.jobId, fence: msg.fence, image: msg.image };
        return;
      case "result":
        return this.resultOrLater(session, holder, msg);
      case "provenance":
        return this.refuseProvenance(session, msg);
      case "release":
        return this.release(session, holder, msg);
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
    // Bytes for a job the worker does not hold were announced by a refused `firmware`: never archived.
    if (fence === null || !this.o.queue.holds(jobId, { workerId: session.id, fence })) return;
    if (session.framesFor(jobId, fence) >= MAX_FRAMES_PER_JOB) {
      const message = `more than ${MAX_FRAMES_PER_JOB} firmware images for job ${jobId}; not archived`;
      session.send({ type: "error", code: "too_many_images", message });
      return;
    }
    // An empty or truncated image is refused whatever the policy: never archived, never flashed.
    const deviceId = this.o.queue.get(jobId)?.deviceId;
    const implausible = deviceId ? this.o.implausible?.(deviceId, { ...image, size: bytes.length }) : null;
    if (implausible) {
      this.o.queue.appendLog(jobId, null, `\n\x1b[31m[forge] ${implausible}\x1b[0m\n`);
      session.addFirmware(jobId, fence, image.sha256, Promise.resolve({ image, ok: false, error: implausible }));
      return;
    }
    // The digest is checked and the file written off the event loop; the result waits for it.
    const received = this.o.firmware.putAsync(bytes, image.sha256, image.size).then(
      (): ReceivedFirmware => ({ image, ok: true }),
      (err: unknown): ReceivedFirmware => {
        // No space is not the build's fault: the result or approval is answered "send again later".
        if (this.o.disk?.report(err, `archiving firmware ${image.name}`)) throw err;
        const reason = (err as Error).message;
        this.o.queue.appendLog(jobId, null, `\n[forge] firmware ${image.name} rejected on receipt: ${reason}\n`);
        return { image, ok: false, error: reason };
      },
    );
    session.addFirmware(jobId, fence, image.sha256, received);
  }

  /**
   * Renews, in one transaction, the leases of the jobs the worker holds; the jobs it lists but does not
   * hold still occupy its slots, so they count as busy until it drops them (it is told to, once each).
   */
  private heartbeat(session: WorkerSession, msg: Msg<"heartbeat">): void {
    // It arrived, whatever happens to the writes below (a full disk): the worker is not silent.
    session.lastHeartbeatAt = session.lastSeenAt;
    const { foreign } = this.o.queue.renewLeases(session.id, msg.runningJobs);
    const before = { strays: session.strays, full: session.fullUntilHeartbeat, slots: session.reportedSlots };
    session.strays = foreign.length;
    session.fullUntilHeartbeat = false;
    session.reportedSlots = msg.slots ?? null;
    for (const ref of foreign) this.abandon(session, ref.jobId, ref.fence);
    const versions = msg.esphomeVersions;
    const changed = versions !== undefined && versions.join("\n") !== session.hello.esphomeVersions.join("\n");
    if (versions) session.hello = { ...session.hello, esphomeVersions: versions };
    const wasLow = this.o.registry.diskLow(session);
    if (msg.diskFreeBytes !== undefined) session.diskFreeBytes = msg.diskFreeBytes;
    const lowChanged = this.o.registry.diskLow(session) !== wasLow;
    this.o.registry.touch(session.id);
    // A worker's ESPHome versions and low-disk state are part of its view: announce a change.
    if (changed || lowChanged) this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
    // More room: a job handed back for want of a slot, fewer strays, more slots, or disk space back.
    const spaceBack = lowChanged && !this.o.registry.diskLow(session);
    if (
      before.full ||
      session.strays < before.strays ||
      (session.reportedSlots ?? 0) > (before.slots ?? 0) ||
      spaceBack
    )
      this.o.onCapacityChange();
  }

  private async result(session: WorkerSession, holder: Holder, msg: Msg<"result">): Promise<void> {
    const { queue, trust } = this.o;
    const received = await session.firmwareFor(msg.jobId, msg.fence);
    session.forgetFirmware(msg.jobId, msg.fence);
    await this.turns.next();
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
    let decision: Decision | null = null;
    const held = queue.get(msg.jobId);
    if (outcome === "succeeded" && held && queue.holds(msg.jobId, holder)) {
      const checked = await trust.checkResult(held, session.id, { ...msg, outcome }, received).catch((err: unknown) => {
        // A full disk (the approval could not be logged) is not the build's fault: "send it again later".
        if (this.o.disk?.report(err, `approving job ${msg.jobId}'s build`)) throw err;
        return {
          override: {
            outcome: "failed" as const,
            phase: "compile" as const,
            error: `content trust check failed: ${(err as Error).message}`,
          },
          decision: null,
        };
      });
      if (checked.override) ({ outcome, phase, error } = checked.override);
      decision = checked.decision;
    }
    // From here on nothing awaits: the holder check, the verdict and the completion are one step.
    if (!queue.holds(msg.jobId, holder)) return this.notHeld(session, msg);
    if (decision) trust.record(msg.jobId, decision);
    if (msg.validationErrors?.length) {
      const lines = msg.validationErrors.map((e) => `  ${e.file ?? "?"}:${e.line ?? "?"}: ${e.message}`);
      queue.appendLog(msg.jobId, holder, `\n[forge] validation errors:\n${lines.join("\n")}\n`);
    }
    if (held?.action === "compile_upload" && held.step === "build" && outcome === "succeeded") {
      const ota = otaImage(msg.firmware);
      const next = ota ? queue.toFlashStep(msg.jobId, holder, msg, ota.sha256) : undefined;
      if (next) {
        session.send({ type: "ack", jobId: msg.jobId, fence: msg.fence, accepted: true, reason: null });
        this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
        this.o.onCapacityChange();
        return;
      }
      if (!ota)
        ({ outcome, phase, error } = {
          outcome: "failed",
          phase: "compile",
          error: "the build sent no OTA image to flash",
        });
    }
    // A flash that could not reach a device that is away waits for it (fleet/device-wait.ts), its image kept.
    const waiting =
      held?.step === "flash" && outcome === "failed" && phase === "upload"
        ? queue.waits.afterFailedFlash(msg.jobId, holder, error)
        : undefined;
    const job =
      waiting ??
      queue.complete(msg.jobId, holder, {
        outcome,
        phase,
        error,
        firmware: outcome === "succeeded" ? msg.firmware : [],
        esphomeVersion: msg.esphomeVersion,
        validationErrors: msg.validationErrors ?? [],
      })!;
    session.send({ type: "ack", jobId: msg.jobId, fence: msg.fence, accepted: true, reason: null });
    trust.flashed(job);
    this.o.onJobFinished(job);
    this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
    this.o.onCapacityChange();
  }

  /** A result the sidecar cannot record now (its disk is full) is neither lost nor failed: the worker keeps it. */
  private resultOrLater(session: WorkerSession, holder: Holder, msg: Msg<"result">): void {
    const later = () => {
      session.forgetFirmware(msg.jobId, msg.fence); // the worker sends the frames again with the result
      const { jobId, fence } = msg;
      const retryAfterMs = this.o.disk!.retryAfterMs;
      session.send({ type: "ack", jobId, fence, accepted: false, reason: this.o.disk!.message(), retryAfterMs });
    };
    if (this.o.disk?.full) return later();
    this.result(session, holder, msg).catch((err: unknown) => {
      if (!this.o.disk?.report(err, `recording job ${msg.jobId}'s result`)) throw err;
      later();
    });
  }

  /**
   * The old compile_upload gate ("may I flash what I built?"). A builder never flashes: the answer is
   * always no, and nothing is recorded. The sidecar approves the build from its result and a flasher
   * sends the archived approved image (README "A builder never flashes").
   */
  private refuseProvenance(session: WorkerSession, msg: Msg<"provenance">): void {
    session.forgetFirmware(msg.jobId, msg.fence);
    const reason = `a builder never flashes: job ${msg.jobId}'s image is approved from the build result and flashed from the sidecar's archive by a flasher`;
    this.o.queue.appendLog(
      msg.jobId,
      null,
      `\n\x1b[31m[forge] worker ${session.id} asked to flash its own build; refused\x1b[0m\n`,
    );
    session.send({ type: "approval", jobId: msg.jobId, fence: msg.fence, ...WorkerTrustGate.notHeld(reason) });
  }

  private release(session: WorkerSession, holder: Holder, msg: Msg<"release">): void {
    // Handed back before it started: the worker has no free slot, whatever the sidecar counted.
    const unstarted = this.o.queue.get(msg.jobId)?.phase === null;
    const job = this.o.queue.release(msg.jobId, holder, `worker ${session.id} handed the job back: ${msg.reason}`);
    session.send({ type: "ack", jobId: msg.jobId, fence: msg.fence, accepted: job !== undefined, reason: null });
    if (!job) return;
    if (unstarted) session.fullUntilHeartbeat = true;
    this.o.bus.worker("upsert", session.id, this.o.registry.view(session.id));
    this.o.onCapacityChange();
  }

  /** The explicit answer to a message about a job the worker does not hold (any more). */
  private notHeld(session: WorkerSession, msg: JobMsg): void {
    const reason = `worker ${session.id} does not hold job ${msg.jobId} under that fence (its lease lapsed, it went to another worker, or it never had it)`;
    const ref = { jobId: msg.jobId, fence: msg.fence };
    switch (msg.type) {
      case "result":
        session.forgetFirmware(msg.jobId, msg.fence);
        session.send({ type: "ack", ...ref, accepted: false, reason });
        return;
      case "release":
        session.send({ type: "ack", ...ref, accepted: false, reason });
        return;
      case "provenance":
        session.forgetFirmware(msg.jobId, msg.fence);
        session.send({ type: "approval", ...ref, ...WorkerTrustGate.notHeld(reason) });
        break;
      case "firmware":
        // Its bytes follow in the next frame: drop them.
        session.pendingFirmware = { jobId: msg.jobId, fence: null, image: msg.image };
        break;
    }
    this.abandon(session, msg.jobId, msg.fence, reason);
  }

  private abandon(session: WorkerSession, jobId: number, fence: string, reason?: string): void {
    if (!session.firstTell(jobId, fence)) return;
    const why = reason ?? `worker ${session.id} does not hold job ${jobId} under that fence; drop it`;
    session.send({ type: "abandon", jobId, fence, reason: why });
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
