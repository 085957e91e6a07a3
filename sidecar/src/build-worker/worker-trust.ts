// The worker's side of content trust: its own P-256 key (created once in the state folder, 0600),
// signed SLSA provenance over the firmware it built, and the upload gate of compile_upload — send
// the images and their provenance, wait for the sidecar's `approval`, then check that the file about
// to be flashed still hashes to exactly the approved digest.
import { createHash } from "node:crypto";
import { existsSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { helloProofText, type ApprovalMessage, type AssignMessage, type FirmwareImage } from "@esphome-forge/shared";
import {
  formatFingerprint,
  keyFingerprint,
  loadOrCreateKey,
  readPrivateKeyFile,
  signBytes,
  type SigningKey,
} from "../trust/keys/keys.js";
import { signStatement } from "../trust/keys/sign.js";
import { buildProvenanceStatement } from "../trust/attest/statements.js";
import { SIDECAR_VERSION } from "../util/version.js";
import type { WorkerConnection } from "./connection.js";
import { otaFile, type BuiltImage } from "./firmware.js";
import type { JobLog } from "./log-stream.js";

type Ref = { jobId: number; fence: string };
/**
 * The compile_upload gate's answer: `refused` says why not; else `flashImage`, when set, is what to flash
 * instead of the build output (the approved image signed for signed OTA, from the sidecar's archive).
 */
export type UploadApproval =
  { refused: string; flashImage?: never } | { refused: null; flashImage: FirmwareImage | null };
interface Pending {
  ref: Ref;
  resend: () => boolean;
  resolve: (m: ApprovalMessage | null) => void;
  retryTimer: NodeJS.Timeout | null;
}

export function workerKeyPath(stateDir: string): string {
  return path.join(stateDir, "trust", "worker-key.pem");
}
/** `worker rotate-key` puts the key the worker wants to move to here; it is announced until approved. */
export function nextKeyPath(stateDir: string): string {
  return path.join(stateDir, "trust", "worker-key.next.pem");
}

export class WorkerTrust {
  key: SigningKey;
  /** A key waiting for the admin's approval (rotation), announced in every hello. */
  next: SigningKey | null;
  /** Set from `welcome`: the sidecar gates compile_upload flashes. */
  gate = false;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly stateDir: string,
    private readonly workerId: string,
    private readonly conn: Pick<WorkerConnection, "send" | "sendBinary">,
    private readonly log: (line: string) => void,
  ) {
    const { key, created } = loadOrCreateKey(workerKeyPath(stateDir));
    this.key = key;
    if (created)
      log(`created the worker signing key (fingerprint ${formatFingerprint(keyFingerprint(key.publicKey))})`);
    this.next = existsSync(nextKeyPath(stateDir)) ? readPrivateKeyFile(nextKeyPath(stateDir)) : null;
  }

  /** The answer to the sidecar's `challenge` at each connection: proof that this worker holds its key(s). */
  prove(nonce: string, channel: string): { signature: string; nextSignature?: string } {
    const text = Buffer.from(helloProofText(this.workerId, nonce, channel), "utf8");
    const signature = signBytes(this.key, text).toString("base64");
    return this.next ? { signature, nextSignature: signBytes(this.next, text).toString("base64") } : { signature };
  }

  /** What `welcome` says about the keys: the next key was approved (sign with it now) or rejected. */
  keysSettled(keyHint: string | undefined, next: "pending" | "rejected" | undefined): void {
    if (this.next && keyHint === this.next.hint) {
      renameSync(nextKeyPath(this.stateDir), workerKeyPath(this.stateDir));
      this.key = this.next;
      this.next = null;
      this.log(
        `the new signing key was approved; signing with it (fingerprint ${formatFingerprint(keyFingerprint(this.key.publicKey))})`,
      );
    } else if (this.next && next === "rejected") {
      rmSync(nextKeyPath(this.stateDir), { force: true });
      this.next = null;
      this.log("an admin rejected the new signing key; keeping the current one");
    } else if (this.next && next === "pending") {
      this.log(
        `the new signing key waits for approval (fingerprint ${formatFingerprint(keyFingerprint(this.next.publicKey))})`,
      );
    }
  }

  /** The signed provenance bundle (JSON text) for these images of this assignment. */
  async provenance(
    a: AssignMessage,
    images: BuiltImage[],
    esphomeVersion: string | null,
    startedAt: number,
  ): Promise<string> {
    const statement = buildProvenanceStatement({
      deviceId: a.deviceId,
      deviceName: a.deviceName,
      configSha256: a.bundle?.digest ?? a.configHash ?? "0".repeat(64),
      esphomeVersion: esphomeVersion ?? a.esphomeVersion ?? "unknown",
      platform: null,
      board: null,
      workerId: this.workerId,
      jobId: a.jobId,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      firmware: images.map((i) => ({
        name: i.image.name,
        sha256: i.image.sha256,
        size: i.image.size,
        kind: i.image.kind,
      })),
      forgeVersion: SIDECAR_VERSION,
    });
    return JSON.stringify(await signStatement(statement, this.key));
  }

  /**
   * The compile_upload gate: whether the upload may go ahead, and with which image.
   * `out` is the job's log: it receives the sidecar's warning under `warn`, and is flushed before the
   * request goes out, so the sidecar's "build approved" note lands after the lines that led to it.
   */
  async approveUpload(
    a: AssignMessage,
    images: BuiltImage[],
    esphomeVersion: string | null,
    startedAt: number,
    signal: AbortSignal,
    out: Pick<JobLog, "note" | "flush">,
  ): Promise<UploadApproval> {
    const log = (line: string) => out.note(line);
    if (!this.gate) return { refused: null, flashImage: null };
    const ota = otaFile(images);
    if (!ota) return { refused: "no OTA image to flash" };
    const bundle = await this.provenance(a, images, esphomeVersion, startedAt);
    const ref = { jobId: a.jobId, fence: a.fence };
    const send = () => {
      for (const img of images) {
        if (!this.conn.send({ type: "firmware", ...ref, image: img.image }) || !this.conn.sendBinary(img.bytes))
          return false;
      }
      return this.conn.send({ type: "provenance", ...ref, bundle });
    };
    log("[forge worker] upload: asking the sidecar to approve the firmware before flashing");
    out.flush();
    const answer = await new Promise<ApprovalMessage | null>((resolve) => {
      const onAbort = () => finish(null);
      const finish = (m: ApprovalMessage | null) => {
        const p = this.pending.get(a.jobId);
        if (p?.retryTimer) clearTimeout(p.retryTimer);
        this.pending.delete(a.jobId);
        signal.removeEventListener("abort", onAbort);
        resolve(m);
      };
      this.pending.set(a.jobId, { ref, resend: send, resolve: finish, retryTimer: null });
      signal.addEventListener("abort", onAbort, { once: true });
      send(); // if the socket is down, `resendPending` after the next welcome sends it
    });
    if (!answer) return { refused: "stopped while waiting for the sidecar's approval" };
    if (!answer.allow) return { refused: answer.error ?? `content trust blocked the upload: ${answer.verdict.reason}` };
    if (answer.warning) log(`\x1b[33m[forge worker] ${answer.warning}\x1b[0m`);
    const signed = answer.flashImage;
    if (signed) {
      // The sidecar signed the approved image for a device with signed OTA: that is what gets flashed.
      if (signed.sha256 !== answer.firmwareSha256)
        return { refused: "the sidecar named an image to flash other than the one it approved; not flashing" };
      log(
        `[forge worker] upload: approved (${answer.verdict.state}); flashing the signed image sha256 ${signed.sha256}`,
      );
      return { refused: null, flashImage: signed };
    }
    // The exact bytes about to be sent: re-read the file the upload phase will flash.
    const digest = createHash("sha256")
      .update(await readFile(ota.path))
      .digest("hex");
    if (answer.firmwareSha256 && digest !== answer.firmwareSha256) {
      return {
        refused: `the firmware file changed after approval (sha256 ${digest.slice(0, 12)}…, approved ${answer.firmwareSha256.slice(0, 12)}…); not flashing`,
      };
    }
    log(`[forge worker] upload: approved (${answer.verdict.state}) sha256 ${digest}`);
    return { refused: null, flashImage: null };
  }

  onApproval(m: ApprovalMessage): void {
    const p = this.pending.get(m.jobId);
    if (!p || p.ref.fence !== m.fence) return;
    if (!m.retryAfterMs) return p.resolve(m);
    // No decision yet (the sidecar's disk is full): ask again later, frames and all.
    this.log(`job ${m.jobId}: the sidecar cannot approve yet (${m.error ?? "busy"}); asking again`);
    if (p.retryTimer) return;
    p.retryTimer = setTimeout(() => {
      p.retryTimer = null;
      if (this.pending.get(m.jobId) === p) p.resend();
    }, m.retryAfterMs);
  }

  /** After a reconnect, a request that may have been lost is sent again. */
  resendPending(): void {
    for (const p of this.pending.values()) p.resend();
  }
}
