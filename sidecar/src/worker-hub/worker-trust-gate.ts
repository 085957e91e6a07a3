// Content trust on the worker socket (keys are enrolled by an admin decision, worker-enrolment.ts): approve every build result
// against what the sidecar received and sent, answer the compile_upload gate on the exact bytes
// received, gate archived firmware at assignment, and put every flash's outcome on record (the flash
// ledger). The decisions are pure: the caller (worker-messages.ts) asks only for jobs the worker holds,
// and records the decision (`record`) — and, before an `allow`, the flash intent — only if it still
// holds the job once the decision is taken: a refused message leaves no verdict on the job.
import {
  flashes,
  otaImage,
  type ApprovalMessage,
  type FirmwareImage,
  type Job,
  type JobTrust,
  type ResultMessage,
  type TrustState,
  type TrustVerdict,
} from "@esphome-forge/shared";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { TrustEngine, TrustMode } from "../trust/index.js";
import { outcomeOf } from "../trust/policy/job-verdicts.js";
type Received = {
  image: { name: string; sha256: string; size: number; kind: "ota" | "factory" | "other" };
  ok: boolean;
  error?: string;
};
type Override = Pick<ResultMessage, "outcome" | "phase" | "error">;
/** An approved build comes with its log line ("build approved in … ms"). */
type Approved = { ok: true; note: string } | { ok: false; state: TrustState; reason: string };
type Answer = Omit<ApprovalMessage, "type" | "jobId" | "fence">;

/** A trust decision for a job, recorded once it is known that the job's holder asked for it. */
export interface Decision {
  verdict: TrustVerdict;
  mode: TrustMode;
  allowed: boolean;
  stage: JobTrust["stage"];
  /** Lines for the job's log. */
  notes: string[];
}

/** The flash ledger as the gate uses it. `intent` rejects when the flash cannot be put on record. */
export interface FlashRecorder {
  intent(job: Job, fence: string, firmwareSha256: string | null, workerId: string): Promise<void>;
  resultArrived(job: Job): void;
}

export interface WorkerTrustGateOptions {
  engine: TrustEngine;
  queue: JobQueue;
  firmware: FirmwareStore;
  mode: (deviceId: string) => TrustMode;
  log: (msg: string) => void;
  /** Every flash on record (fleet/flash-ledger.ts): the intent before an `allow` lets it happen, the outcome with the result. */
  flashes: FlashRecorder;
  /** The image to flash for an approval: signed for signed OTA, or refused (trust/ota-signing/flash-image.ts). */
  imageToFlash?: ImageToFlash;
  /** Waits for a loop turn of its own (util/turns.ts) between approving a build and checking the approval. */
  turn?: () => Promise<void>;
}

/** trust/ota-signing's `OtaFlashImages.imageToFlash`, as the flash paths call it. */
export type ImageToFlash = (
  deviceId: string,
  image: FirmwareImage,
  o: { jobId: number | null; approved: boolean },
) => Promise<{ ok: true; image: FirmwareImage; notes: string[] } | { ok: false; reason: string }>;

export class WorkerTrustGate {
  constructor(private readonly o: WorkerTrustGateOptions) {}

  welcome(enrolled: boolean): { gate: boolean; sidecarKey: string; keyEnrolled: boolean } {
    return { gate: true, sidecarKey: this.o.engine.sidecarKey.publicPem, keyEnrolled: enrolled };
  }

  /**
   * A build result that succeeded (a compile, or a compile_upload's build step) is approved here on the
   * bytes the sidecar archived; a refusal fails it under enforce (a compile_upload then never flashes).
   */
  async checkResult(
    job: Job,
    workerId: string,
    msg: ResultMessage,
    received: Received[],
  ): Promise<{ override: Override | null; decision: Decision | null }> {
    const builds = job.action === "compile" || (job.action === "compile_upload" && job.step === "build");
    if (msg.outcome !== "succeeded" || !builds) return { override: null, decision: null };
    const images = okImages(received);
    const r = await this.approve(job, workerId, msg.provenance, images);
    await this.o.turn?.();
    const mode = this.o.mode(job.deviceId);
    const ota = otaImage(images);
    const verdict = r.ok
      ? ota
        ? this.o.engine.evaluate(job.deviceId, { sha256: ota.sha256 }).verdict
        : blank("unknown", "no image")
      : refused(r, ota?.sha256);
    const decision: Decision = { verdict, mode, allowed: r.ok || mode !== "enforce", stage: "approval", notes: [] };
    if (r.ok) decision.notes.push(r.note);
    if (r.ok || mode === "off") return { override: null, decision };
    const why = `content trust refused the build: ${r.reason}`;
    if (mode === "warn") {
      decision.notes.push(`\n\x1b[33m[forge] ${why} (warn mode: kept)\x1b[0m\n`);
      return { override: null, decision };
    }
    decision.notes.push(`\n\x1b[31m[forge] ${why}\x1b[0m\n`);
    return { override: { outcome: "failed", phase: "compile", error: why }, decision };
  }

  /** A job's result was recorded: its flash's outcome goes on record (a success is the OTA: anti-rollback, log). */
  flashed(job: Job): void {
    if (flashes(job.action)) this.o.flashes.resultArrived(job);
  }

  /** Before an `allow` reaches the worker: the flash goes on record, durably (rejects when it cannot). */
  flashIntent(job: Job, workerId: string, fence: string, answer: Answer, received: Received[]): Promise<void> {
    const sha = answer.firmwareSha256 ?? otaImage(received.map((r) => r.image))?.sha256 ?? null;
    return this.o.flashes.intent(job, fence, sha, workerId);
  }

  /** compile_upload, between compile and upload: approve the build, then gate the OTA image's bytes. */
  async provenance(
    job: Job,
    workerId: string,
    bundle: string,
    received: Received[],
  ): Promise<{ answer: Answer; decision: Decision }> {
    const mode = this.o.mode(job.deviceId);
    const images = okImages(received);
    const ota = otaImage(images);
    const decided = (answer: Answer, d: Omit<Decision, "mode" | "stage" | "notes">, notes: string[]) => {
      if (answer.warning) notes.push(`\n\x1b[33m[forge] ${answer.warning}\x1b[0m\n`);
      if (answer.error) notes.push(`\n\x1b[31m[forge] ${answer.error}\x1b[0m\n`);
      return { answer, decision: { ...d, mode, stage: "gate" as const, notes } };
    };
    // An image refused on receipt (empty, truncated, mismatched) is never flashed, whatever the policy.
    const refusedImage = received.find((r) => !r.ok);
    if (refusedImage) {
      const verdict = blank("unknown", refusedImage.error ?? `firmware ${refusedImage.image.name} was refused`);
      const error = `upload refused: ${verdict.reason}`;
      return decided(
        { allow: false, firmwareSha256: null, verdict, warning: null, error },
        { verdict, allowed: false },
        [],
      );
    }
    if (!ota || !this.o.firmware.has(ota.sha256)) {
      const verdict = blank("unknown", "the sidecar did not receive the firmware to approve");
      const allow = mode !== "enforce";
      const error = allow ? null : `content trust blocked the upload: ${verdict.reason}`;
      return decided({ allow, firmwareSha256: null, verdict, warning: null, error }, { verdict, allowed: allow }, []);
    }
    const approval = await this.approve(job, workerId, bundle, images);
    const gate = this.o.engine.gate(job.deviceId, this.o.firmware.read(ota.sha256), mode);
    const refusal = approval.ok ? null : `content trust refused the build: ${approval.reason}`;
    // A refused approval is the more precise answer (e.g. a garbled bundle) than the gate's "unsigned".
    const verdict = approval.ok ? gate.verdict : refused(approval, ota.sha256, gate.verdict);
    const notes = approval.ok ? [approval.note] : [];
    if (!gate.allow) {
      const error = refusal ?? gate.error;
      return decided(
        { allow: false, firmwareSha256: ota.sha256, verdict, warning: gate.warning, error },
        { verdict, allowed: false },
        notes,
      );
    }
    // The bytes that go to the device: the approved image, signed for a device with signed OTA.
    const flash = await this.imageFor(job, ota, approval.ok && gate.verdict.state === "verified");
    notes.push(...flash.notes);
    if (!flash.ok) {
      const error = flash.reason;
      return decided(
        { allow: false, firmwareSha256: null, verdict, warning: gate.warning, error },
        { verdict, allowed: false },
        notes,
      );
    }
    const signed = flash.image.sha256 !== ota.sha256 ? { flashImage: flash.image } : {};
    return decided(
      { allow: true, firmwareSha256: flash.image.sha256, ...signed, verdict, warning: gate.warning, error: null },
      { verdict, allowed: true },
      notes,
    );
  }

  /** The image to flash after the gate allowed `image` (`approved`: verified by the gate, so it may be signed). */
  async imageFor(
    job: Job,
    image: FirmwareImage,
    approved: boolean,
  ): Promise<{ ok: true; image: FirmwareImage; notes: string[] } | { ok: false; reason: string; notes: string[] }> {
    if (!this.o.imageToFlash) return { ok: true, image, notes: [] };
    const r = await this.o.imageToFlash(job.deviceId, image, { jobId: job.id, approved });
    if (!r.ok) return { ok: false, reason: r.reason, notes: [] };
    return { ok: true, image: r.image, notes: r.notes.map((n) => `\n${n}\n`) };
  }

  /** The answer to a request about a job the worker does not hold: no, and nothing is recorded. */
  static notHeld(reason: string): Answer {
    return { allow: false, firmwareSha256: null, verdict: blank("unknown", reason), warning: null, error: reason };
  }

  /** No decision yet (e.g. the sidecar's disk is full): the worker asks again after `retryAfterMs`. */
  static later(reason: string, retryAfterMs: number): Answer {
    const error = `not decided yet: ${reason}`;
    return { allow: false, firmwareSha256: null, verdict: blank("unknown", error), warning: null, error, retryAfterMs };
  }

  private async approve(
    job: Job,
    workerId: string,
    bundle: string | undefined,
    images: Received["image"][],
  ): Promise<Approved> {
    if (!bundle)
      return { ok: false, state: "unsigned", reason: `worker ${workerId} sent no signed provenance (unsigned build)` };
    if (!job.configHash) return { ok: false, state: "unknown", reason: "the job has no recorded config digest" };
    const t0 = performance.now();
    const r = await this.o.engine.approveBuild({
      deviceId: job.deviceId,
      jobId: job.id,
      firmware: images.map((i) => ({ name: i.name, sha256: i.sha256, size: i.size, kind: i.kind })),
      buildBundle: bundle,
      expectedConfigSha256: job.configHash,
      expectedWorkerId: workerId,
    });
    if (r.ok) {
      const ms = (performance.now() - t0).toFixed(1);
      return {
        ok: true,
        note: `\n[forge] content trust: build approved in ${ms} ms (sequence ${r.buildSequence}, log index ${r.approval.logIndex})\n`,
      };
    }
    this.o.log(`job ${job.id}: approval refused (${r.state}): ${r.reason}`);
    return { ok: false, state: r.state, reason: r.reason };
  }

  /** Keeps the job's trust decision (its notes go to the job's log) and announces the job again with it. */
  record(jobId: number, d: Decision): void {
    for (const n of d.notes) this.o.queue.appendLog(jobId, null, n);
    this.o.engine.jobVerdicts.record(jobId, d.verdict, d.mode, outcomeOf(d.verdict.state, d.mode, d.allowed), d.stage);
    this.o.queue.touch(jobId);
  }

  /**
   * `upload` of archived firmware: the gate at assignment. `error` under enforce, else null; `verified`
   * when the image is approved (only then may it be signed for signed OTA).
   */
  gateArchived(job: Job, image: { sha256: string }): { error: string | null; verified: boolean } {
    const mode = this.o.mode(job.deviceId);
    const bytes = this.o.firmware.read(image.sha256);
    const g = this.o.engine.gate(job.deviceId, bytes, mode, image.sha256);
    const notes = g.warning ? [`\n\x1b[33m[forge] ${g.warning}\x1b[0m\n`] : [];
    this.record(job.id, { verdict: g.verdict, mode, allowed: g.allow, stage: "gate", notes });
    return { error: g.allow ? null : g.error, verified: g.verdict.state === "verified" };
  }
}

/** The images that arrived intact, once each (a resent request repeats its frames). */
function okImages(received: Received[]): Received["image"][] {
  const seen = new Map<string, Received["image"]>();
  for (const r of received) if (r.ok) seen.set(r.image.sha256, r.image);
  return [...seen.values()];
}

/** The verdict of a refused approval: its state and reason, for this firmware. */
function refused(
  r: { state: TrustState; reason: string },
  sha256: string | undefined,
  base?: TrustVerdict,
): TrustVerdict {
  return {
    ...(base ?? blank(r.state, r.reason)),
    state: r.state,
    reason: `build refused: ${r.reason}`,
    firmwareSha256: sha256 ?? null,
    checkedAt: new Date().toISOString(),
  };
}

function blank(state: TrustVerdict["state"], reason: string): TrustVerdict {
  return {
    state,
    reason,
    signer: null,
    buildSequence: null,
    checkedAt: new Date().toISOString(),
    firmwareSha256: null,
  };
}
