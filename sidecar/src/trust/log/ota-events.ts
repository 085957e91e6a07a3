// What the transparency log keeps of each flash: its intent before it starts, a failure, or the success
// (which also raises the device's anti-rollback floor: the highest build sequence and CI order flashed).
import type { TrustVerdict } from "@esphome-forge/shared";
import type { AttestationStore, BuildSequences } from "../attest/attestation-store.js";
import { externalOrderOf, parseStatement } from "../attest/statements.js";
import type { TransparencyLog } from "./log-store.js";

export interface OtaIntent {
  jobId: number;
  attempt: number;
  workerId: string;
  /** The earlier attempt whose flash never reported an outcome (this one flashes again). */
  afterInterrupted: { jobId: number; attempt: number } | null;
}

export interface OtaFailure {
  jobId: number;
  attempt: number;
  outcome: "failed" | "cancelled" | "interrupted";
  reason: string;
}

export function logOtaIntent(
  log: TransparencyLog,
  deviceId: string,
  firmwareSha256: string | null,
  d: OtaIntent,
): number {
  return log.appendEvent("ota_intent", { deviceId, firmwareSha256, ...d }).index;
}

export function logOtaFailure(
  log: TransparencyLog,
  deviceId: string,
  firmwareSha256: string | null,
  d: OtaFailure,
): number {
  return log.appendEvent("ota_failed", { deviceId, firmwareSha256, ...d }).index;
}

/** A successful flash: the anti-rollback floor first, then the log entry. */
export function logOta(
  stores: { log: TransparencyLog; sequences: BuildSequences; attestations: AttestationStore },
  deviceId: string,
  firmwareSha256: string,
  verdict: TrustVerdict,
  jobId: number | null,
): number {
  const order = externalOrder(stores.attestations, firmwareSha256);
  stores.sequences.recordInstalled(deviceId, firmwareSha256, verdict.buildSequence, order);
  return stores.log.appendEvent("ota", {
    deviceId,
    firmwareSha256,
    buildSequence: verdict.buildSequence,
    state: verdict.state,
    jobId,
  }).index;
}

/** The order a CI statement gives this firmware (its signed `buildSequence`), if it was signed outside Forge. */
function externalOrder(attestations: AttestationStore, firmwareSha256: string): number | null {
  const att = attestations.forFirmware(firmwareSha256, "external")[0];
  const payload = att?.bundle.dsseEnvelope?.payload;
  if (!payload) return null;
  const st = parseStatement(Buffer.from(payload, "base64"));
  return st.ok ? externalOrderOf(st.value) : null;
}
