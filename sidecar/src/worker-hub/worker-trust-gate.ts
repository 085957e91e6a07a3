// Content trust on the worker socket: enrol a worker's key at hello, approve every build result
// against what the sidecar received and sent, answer the compile_upload gate on the exact bytes
// received, gate archived firmware at assignment, and log every successful flash.
import {
  flashes,
  otaImage,
  type ApprovalMessage,
  type Job,
  type JobTrust,
  type ResultMessage,
  type TrustState,
  type TrustVerdict,
} from "@esphome-forge/shared";
import type { DiskState } from "../durability/disk-state.js";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { TrustEngine, TrustMode } from "../trust/index.js";
import { shortHint } from "../trust/encoding.js";
import { outcomeOf } from "../trust/policy/job-verdicts.js";
import { keyHint, publicKeyFromPem } from "../trust/keys/keys.js";
import type { WorkerSession } from "./worker-session.js";

type Received = {
  image: { name: string; sha256: string; size: number; kind: "ota" | "factory" | "other" };
  ok: boolean;
  error?: string;
};
type Override = Pick<ResultMessage, "outcome" | "phase" | "error">;
type Approved = { ok: true } | { ok: false; state: TrustState; reason: string };

/** The flash ledger as the gate uses it. `intent` rejects when the flash cannot be put on record. */
export interface FlashRecorder {
  intent(job: Job, fence: number, firmwareSha256: string | null, workerId: string): Promise<void>;
  resultArrived(job: Job): void;
}

export interface WorkerTrustGateOptions {
  engine: TrustEngine;
  queue: JobQueue;
  firmware: FirmwareStore;
  mode: (deviceId: string) => TrustMode;
  log: (msg: string) => void;
  /** Every flash on record (fleet/flash-ledger.ts): the intent before the approval lets it happen, the outcome with the result. */
  flashes: FlashRecorder;
  /** While the data folder's disk is full an approval is answered "ask again later". */
  disk?: Pick<DiskState, "full" | "report" | "message" | "retryAfterMs">;
}

export class WorkerTrustGate {
  constructor(private readonly o: WorkerTrustGateOptions) {}

  /**
   * First use enrols the worker's key. A different key for a worker id that already has an active one
   * is refused: it is either a reinstalled worker (retire the old key through the API) or an impostor.
   */
  enrol(workerId: string, pem: string | undefined): { ok: true; enrolled: boolean } | { ok: false; reason: string } {
    if (!pem) return { ok: true, enrolled: false };
    let hint: string;
    try {
      hint = keyHint(publicKeyFromPem(pem));
    } catch (err) {
      return { ok: false, reason: `invalid signing key: ${(err as Error).message}` };
    }
    const other = this.o.engine.keys.active("worker", workerId).find((k) => k.hint !== hint);
    if (other) {
      return {
        ok: false,
        reason: `worker ${workerId} presents signing key ${shortHint(hint)}, but key ${shortHint(other.hint)} is enrolled for it; if the worker was reinstalled, retire the old key (POST /api/v1/trust/keys/${encodeURIComponent(other.hint)}/retire)`,
      };
    }
    try {
      this.o.engine.enrolWorkerKey(workerId, pem);
      return { ok: true, enrolled: true };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  welcome(enrolled: boolean): { gate: boolean; sidecarKey: string; keyEnrolled: boolean } {
    return { gate: true, sidecarKey: this.o.engine.sidecarKey.publicPem, keyEnrolled: enrolled };
  }

  /**
   * A compile or compile_upload result that succeeded: a compile is approved here (refusal fails it
   * under enforce); a compile_upload was approved before its flash, which is now logged.
   */
  async checkResult(session: WorkerSession, msg: ResultMessage, received: Received[]): Promise<Override | null> {
    const job = this.o.queue.get(msg.jobId);
    if (!job || msg.outcome !== "succeeded" || job.workerId !== session.id) return null;
    if (job.action === "compile") {
      const images = okImages(received);
      const r = await this.approve(job, session.id, msg.provenance, images);
      const mode = this.o.mode(job.deviceId);
      const ota = otaImage(images);
      const verdict = r.ok
        ? ota
          ? this.o.engine.evaluate(job.deviceId, { sha256: ota.sha256 }).verdict
          : blank("unknown", "no image")
        : refused(r, ota?.sha256);
      this.record(job.id, verdict, mode, r.ok || mode !== "enforce", "approval");
      if (r.ok || mode === "off") return null;
      const why = `content trust refused the build: ${r.reason}`;
      if (mode === "warn") {
        this.o.queue.appendLog(job.id, null, `\n\x1b[33m[forge] ${why} (warn mode: kept)\x1b[0m\n`);
        return null;
      }
      return { outcome: "failed", phase: "compile", error: why };
    }
    return null;
  }

  /** A job's result was recorded: its flash's outcome goes on record (a success is the OTA: anti-rollback, log). */
  flashed(job: Job): void {
    if (flashes(job.action)) this.o.flashes.resultArrived(job);
  }

  /** compile_upload, between compile and upload: approve the build, then gate the OTA image's bytes. */
  async provenance(
    session: WorkerSession,
    ref: { jobId: number; fence: number },
    bundle: string,
    received: Received[],
  ): Promise<void> {
    const job = this.o.queue.get(ref.jobId);
    if (job?.state !== "running" || job.workerId !== session.id || this.o.queue.fenceOf(job.id) !== ref.fence) return;
    let answer: Omit<ApprovalMessage, "type" | "jobId" | "fence">;
    try {
      if (this.o.disk?.full) throw Object.assign(new Error(this.o.disk.message()), { code: "ENOSPC" });
      answer = await this.decide(job, session.id, bundle, received);
      // Nothing flashes that is not on record first: the intent is durable before the worker hears "allow".
      if (answer.allow) {
        const sha = answer.firmwareSha256 ?? otaImage(received.map((r) => r.image))?.sha256 ?? null;
        await this.o.flashes.intent(job, ref.fence, sha, session.id);
      }
    } catch (err) {
      if (!this.o.disk?.report(err, `approving job ${job.id}`)) throw err;
      const error = `not decided yet: ${this.o.disk.message()}`;
      const verdict = blank("unknown", error);
      const retryAfterMs = this.o.disk.retryAfterMs;
      session.send({
        type: "approval",
        ...ref,
        allow: false,
        firmwareSha256: null,
        verdict,
        warning: null,
        error,
        retryAfterMs,
      });
      return;
    }
    if (answer.warning) this.o.queue.appendLog(job.id, ref.fence, `\n\x1b[33m[forge] ${answer.warning}\x1b[0m\n`);
    if (answer.error) this.o.queue.appendLog(job.id, ref.fence, `\n\x1b[31m[forge] ${answer.error}\x1b[0m\n`);
    session.send({ type: "approval", jobId: ref.jobId, fence: ref.fence, ...answer });
  }

  private async decide(
    job: Job,
    workerId: string,
    bundle: string,
    received: Received[],
  ): Promise<Omit<ApprovalMessage, "type" | "jobId" | "fence">> {
    const mode = this.o.mode(job.deviceId);
    const images = okImages(received);
    const ota = otaImage(images);
    // An image refused on receipt (empty, truncated, mismatched) is never flashed, whatever the policy.
    const refusedImage = received.find((r) => !r.ok);
    if (refusedImage) {
      const verdict = blank("unknown", refusedImage.error ?? `firmware ${refusedImage.image.name} was refused`);
      this.record(job.id, verdict, mode, false, "gate");
      const error = `upload refused: ${verdict.reason}`;
      return { allow: false, firmwareSha256: null, verdict, warning: null, error };
    }
    if (!ota || !this.o.firmware.has(ota.sha256)) {
      const verdict = blank("unknown", "the sidecar did not receive the firmware to approve");
      this.record(job.id, verdict, mode, mode !== "enforce", "gate");
      return {
        allow: mode !== "enforce",
        firmwareSha256: null,
        verdict,
        warning: null,
        error: mode === "enforce" ? `content trust blocked the upload: ${verdict.reason}` : null,
      };
    }
    const approval = await this.approve(job, workerId, bundle, images);
    const gate = this.o.engine.gate(job.deviceId, this.o.firmware.read(ota.sha256), mode);
    const refusal = approval.ok ? null : `content trust refused the build: ${approval.reason}`;
    // A refused approval is the more precise answer (e.g. a garbled bundle) than the gate's "unsigned".
    const verdict = approval.ok ? gate.verdict : refused(approval, ota.sha256, gate.verdict);
    this.record(job.id, verdict, mode, gate.allow, "gate");
    return {
      allow: gate.allow,
      firmwareSha256: ota.sha256,
      verdict,
      warning: gate.warning,
      error: gate.allow ? null : (refusal ?? gate.error),
    };
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
      this.o.queue.appendLog(
        job.id,
        null,
        `\n[forge] content trust: build approved in ${(performance.now() - t0).toFixed(1)} ms (sequence ${r.buildSequence}, log index ${r.approval.logIndex})\n`,
      );
      return { ok: true };
    }
    this.o.log(`job ${job.id}: approval refused (${r.state}): ${r.reason}`);
    return { ok: false, state: r.state, reason: r.reason };
  }

  /** Keeps the job's trust decision and announces the job again with it. */
  private record(
    jobId: number,
    verdict: TrustVerdict,
    mode: TrustMode,
    allowed: boolean,
    stage: JobTrust["stage"],
  ): void {
    this.o.engine.jobVerdicts.record(jobId, verdict, mode, outcomeOf(verdict.state, mode, allowed), stage);
    this.o.queue.touch(jobId);
  }

  /** `upload` of archived firmware: the gate at assignment. Returns the error under enforce, else null. */
  gateArchived(job: Job, image: { sha256: string }): string | null {
    const mode = this.o.mode(job.deviceId);
    const bytes = this.o.firmware.read(image.sha256);
    const g = this.o.engine.gate(job.deviceId, bytes, mode, image.sha256);
    this.record(job.id, g.verdict, mode, g.allow, "gate");
    if (g.warning) this.o.queue.appendLog(job.id, null, `\n\x1b[33m[forge] ${g.warning}\x1b[0m\n`);
    return g.allow ? null : g.error;
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
