// Trust verdicts as the UI shows them: a tone (colour) per state and what counts as untrusted.
import type { Device, JobTrust, TrustPolicy, TrustState, TrustVerdict } from "@esphome-forge/shared";

export type Tone = "ok" | "warn" | "bad" | "neutral";

const TONES: Record<TrustState, Tone> = {
  verified: "ok",
  device_enforced: "ok",
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
  device_enforced: "verified · device-enforced",
  unknown: "unknown",
  unsigned: "unsigned",
  stale: "stale",
  unknown_signer: "unknown signer",
  invalid: "invalid",
  revoked: "revoked",
};

const UNTRUSTED: ReadonlySet<TrustState> = new Set(["unsigned", "stale", "unknown_signer", "invalid", "revoked"]);

/** Untrusted: the running or the pending firmware has a verdict that is not verified (unknown is no verdict). */
export const isUntrusted = (d: Device): boolean =>
  UNTRUSTED.has(d.trust.running.state) || UNTRUSTED.has(d.trust.pending.state);

export function describeVerdict(which: string, v: TrustVerdict): string {
  const signer = v.signer ? `, signer ${v.signer}` : "";
  const seq = v.buildSequence != null ? `, build #${v.buildSequence}` : "";
  return `${which}: ${TRUST_LABELS[v.state] ?? v.state}${signer}${seq} — ${v.reason || "no reason given"}`;
}

const OUTCOME_LABELS: Record<JobTrust["outcome"], string> = {
  allowed: "allowed",
  warned: "flashed with a warning",
  blocked: "blocked",
};
const STAGE_LABELS: Record<JobTrust["stage"], string> = {
  approval: "at the build's approval",
  gate: "at the upload gate",
};

/** A job's trust badge: the verdict's colour (a block is always bad) and its short label. */
export function jobTrustBadge(t: JobTrust): { tone: Tone; label: string } {
  const state = TRUST_LABELS[t.state] ?? t.state;
  if (t.outcome === "blocked") return { tone: "bad", label: `blocked · ${state}` };
  return { tone: trustTone(t.state), label: t.outcome === "warned" ? `${state} · warned` : state };
}

/** Everything about a job's trust decision in one sentence, for the badge's title and aria-label. */
export function describeJobTrust(t: JobTrust): string {
  return `${describeVerdict("Content trust", t)}. Policy ${t.policy}: ${OUTCOME_LABELS[t.outcome] ?? t.outcome} ${STAGE_LABELS[t.stage] ?? t.stage}.`;
}

/** What a blocked job says in place of its raw error, else null. */
export const blockedText = (t: JobTrust | null | undefined): string | null =>
  t?.outcome === "blocked" ? `blocked by content trust: ${t.reason || TRUST_LABELS[t.state] || t.state}` : null;

export const POLICY_TITLES: Record<TrustPolicy, string> = {
  enforce: "This device's own trust policy: enforce — only verified firmware is flashed",
  warn: "This device's own trust policy: warn — firmware that is not verified is flashed anyway, with a warning in the job log",
  off: "This device's own trust policy: off — firmware is flashed without any trust check",
};
