// The admin's per-device trust policy is a logged change of trust: it is written to the transparency log
// first and stored with the index of that entry, and a stored row counts only while the log entry it
// names records exactly that policy under a signed checkpoint (device-policy.ts keeps the rows).
import type { TrustPolicy } from "@esphome-forge/shared";
import { verifyCheckpoint, type LogVerifierKey } from "../log/checkpoint.js";
import type { TransparencyLog } from "../log/log-store.js";
import { hashesEqual } from "../log/merkle.js";
import type { RecordedTrustChange, TrustChangeInput } from "../log/trust-changes.js";
import type { DevicePolicies, DevicePolicyRow } from "./device-policy.js";

/** Logs the change (from the current admin policy to `policy`), then stores it; null clears it. */
export function setLoggedDevicePolicy(
  policies: DevicePolicies,
  record: (change: TrustChangeInput) => RecordedTrustChange,
  now: () => Date,
  change: { deviceId: string; policy: TrustPolicy | null; actor: string },
): RecordedTrustChange {
  const { deviceId, policy, actor } = change;
  const from = policies.get(deviceId);
  const rec = record({
    change: "device_policy",
    actor,
    subject: deviceId,
    detail: { from, to: policy },
  });
  if (policy === null) policies.clear(deviceId);
  else policies.set({ deviceId, policy, actor, setAt: now().toISOString(), logIndex: rec.index });
  return rec;
}

/**
 * Does the log entry a device-policy row names record exactly that policy for that device, under the
 * checkpoint signed when it was recorded? (An entry appended by editing the database has no such signature.)
 */
export function loggedPolicy(log: TransparencyLog, row: DevicePolicyRow, logKeys: readonly LogVerifierKey[]): boolean {
  const e = log.entry(row.logIndex);
  if (!e) return false;
  try {
    const envelope = log.storedCheckpoint(row.logIndex + 1);
    const cp = envelope ? verifyCheckpoint(envelope, logKeys) : null;
    if (!cp?.ok || !hashesEqual(cp.checkpoint.rootHash, log.root(row.logIndex + 1))) return false;
    const b = JSON.parse(e.body.toString("utf8")) as {
      kind?: string;
      change?: string;
      subject?: string;
      detail?: { to?: unknown };
    };
    return (
      b.kind === "trust_change" &&
      b.change === "device_policy" &&
      b.subject === row.deviceId &&
      b.detail?.to === row.policy
    );
  } catch {
    return false;
  }
}
