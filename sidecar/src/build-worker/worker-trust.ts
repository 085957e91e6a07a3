// The worker's side of content trust: its own P-256 key (created once in the state folder, 0600),
// signed SLSA provenance over the firmware it built, and the upload gate of compile_upload — send
// the images and their provenance, wait for the sidecar's `approval`, then check that the file about
// to be flashed still hashes to exactly the approved digest.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { helloProofText, type ApprovalMessage, type AssignMessage } from "@esphome-forge/shared";
import { loadOrCreateKey, signBytes, type SigningKey } from "../trust/keys/keys.js";
import { signStatement } from "../trust/keys/sign.js";
import { buildProvenanceStatement } from "../trust/attest/statements.js";
import { SIDECAR_VERSION } from "../util/version.js";
import type { WorkerConnection } from "./connection.js";
import { otaFile, type BuiltImage } from "./firmware.js";
import type { JobLog } from "./log-stream.js";

type Ref = { jobId: number; fence: string };
interface Pending {
  ref: Ref;
  resend: () => boolean;
  resolve: (m: ApprovalMessage | null) => void;
  retryTimer: NodeJS.Timeout | null;
}

export class WorkerTrust {
  readonly key: SigningKey;
  /** Set from `welcome`: the sidecar gates compile_upload flashes. */
  gate = false;
  private readonly pending = new Map<number, Pending>();

  constructor(
    stateDir: string,
    private readonly workerId: string,
    private readonly conn: Pick<WorkerConnection, "send" | "sendBinary">,
    private readonly log: (line: string) => void,
  ) {
    const { key, created } = loadOrCreateKey(path.join(stateDir, "trust", "worker-key.pem"));
    this.key = key;
    if (created) log(`created the worker signing key (hint ${key.hint})`);
  }

  /** The answer to the sidecar's `challenge` at each connection: proof that this worker holds its key. */
  prove(nonce: string): string {
    return signBytes(this.key, Buffer.from(helloProofText(this.workerId, nonce), "utf8")).toString("base64");
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
   * The compile_upload gate. Returns null when the upload may go ahead, else the reason it may not.
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
  ): Promise<string | null> {
    const log = (line: string) => out.note(line);
    if (!this.gate) return null;
    const ota = otaFile(images);
    if (!ota) return "no OTA image to flash";
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
    if (!answer) return "stopped while waiting for the sidecar's approval";
    if (!answer.allow) return answer.error ?? `content trust blocked the upload: ${answer.verdict.reason}`;
    if (answer.warning) log(`\x1b[33m[forge worker] ${answer.warning}\x1b[0m`);
    // The exact bytes about to be sent: re-read the file the upload phase will flash.
    const digest = createHash("sha256")
      .update(await readFile(ota.path))
      .digest("hex");
    if (answer.firmwareSha256 && digest !== answer.firmwareSha256) {
      return `the firmware file changed after approval (sha256 ${digest.slice(0, 12)}…, approved ${answer.firmwareSha256.slice(0, 12)}…); not flashing`;
    }
    log(`[forge worker] upload: approved (${answer.verdict.state}) sha256 ${digest}`);
    return null;
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
