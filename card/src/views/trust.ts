// Trust verdicts as the UI shows them: a tone (colour) per state and what counts as untrusted.
import type { Device, TrustState, TrustVerdict } from "@esphome-forge/shared";

export type Tone = "ok" | "warn" | "bad" | "neutral";

const TONES: Record<TrustState, Tone> = {
  verified: "ok",
  unknown: "neutral",
  unsigned: "warn",
  stale: "warn",
  unknown_signer: "warn",
  invalid: "bad",
  revoked: "bad",
};

export const trustTone = (state: TrustState): Tone => TONES[state] ?? "neutral";

export const TRUST_LABELS: Record<TrustState, string> = {
  verified: "verified",
  unknown: "unknown",
  unsigned: "unsigned",
  stale: "stale",
  unknown_signer: "unknown signer",
  invalid: "invalid",
  revoked: "revoked",
};

const UNTRUSTED: ReadonlySet<TrustState> = new Set(["unsigned", "stale", "unknown_signer", "invalid", "revoked"]);

/** Untrusted: the running or the pending firmware has a verdict that is not verified (unknown is no verdict). */
export const isUntrusted = (d: Device): boolean => UNTRUSTED.has(d.trust.running.state) || UNTRUSTED.has(d.trust.pending.state);

export function describeVerdict(which: string, v: TrustVerdict): string {
  const signer = v.signer ? `, signer ${v.signer}` : "";
  const seq = v.buildSequence != null ? `, build #${v.buildSequence}` : "";
  return `${which}: ${TRUST_LABELS[v.state] ?? v.state}${signer}${seq} — ${v.reason || "no reason given"}`;
}
