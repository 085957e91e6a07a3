// The worker's side of content trust: its own P-256 key (created once in the state folder, 0600) and
// signed SLSA provenance over the firmware it built, sent with the build's result. A worker never asks
// to flash what it built: the sidecar approves the archived bytes and a flasher sends them.
import { existsSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { helloProofText, type AssignMessage } from "@esphome-forge/shared";
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
import type { BuiltImage } from "./firmware.js";

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
  /** Set from `welcome`: the sidecar approves builds (kept for the log; a worker never flashes its own build). */
  gate = false;

  constructor(
    private readonly stateDir: string,
    private readonly workerId: string,
    _conn: Pick<WorkerConnection, "send" | "sendBinary">,
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
}
