// Firmware signed outside Forge (CI): accepted only under an explicit policy naming the signer — a
// cosign key pair enrolled as an `external` key, or a keyless identity (issuer + anchored SAN pattern)
// checked against a supplied trusted root — and optionally limited to some devices.
import { parseBundle, verifyBundle, type VerifiedBundle } from "../attest/verify-bundle.js";
import type { KeyLookup, TrustedKey } from "../keys/key-registry.js";
import { findRevocation } from "../revocation/revocation.js";
import { externalOrderOf, subjectDigests } from "../attest/statements.js";
import {
  staleness,
  type EvaluateInput,
  type ExternalSigner,
  type TrustContext,
  type TrustEvaluation,
  type VerdictBuilder,
} from "./verdict.js";

function externalKeys(s: ExternalSigner, ctx: TrustContext): KeyLookup {
  if (s.key) {
    const pinned: TrustedKey = { ...s.key, role: "external" };
    return (h) => (h === pinned.hint ? pinned : undefined);
  }
  return (h) => (h === s.keyHint ? ctx.keys(h) : undefined);
}

export function evaluateExternal(
  input: EvaluateInput,
  sha: string,
  ctx: TrustContext,
  v: VerdictBuilder,
): TrustEvaluation {
  const signers = (ctx.externalSigners ?? []).filter((s) => !s.devices || s.devices.includes(input.deviceId));
  if (signers.length === 0)
    return v.done(
      "unknown_signer",
      `firmware is signed outside Forge, but no external signer policy covers ${input.deviceId}`,
    );
  const parsed = parseBundle(input.external);
  if (!parsed.ok) return v.done("invalid", `external bundle: ${parsed.reason}`);
  const bytes = "bytes" in input.firmware ? input.firmware.bytes : undefined;
  if (parsed.bundle.content.$case === "messageSignature" && !bytes) {
    return v.done("unknown", "a blob signature can only be checked against the firmware bytes, which are not at hand");
  }

  const failures: string[] = [];
  let ok: { signer: ExternalSigner; bundle: VerifiedBundle } | null = null;
  for (const s of signers) {
    const r = s.keyless
      ? verifyBundle(input.external, {
          trustedRoot: s.trustedRoot ?? ctx.trustedRoot,
          keys: () => undefined,
          roles: [],
          keyless: [s.keyless],
          requireLog: s.requireLog ?? true,
          artifact: bytes,
          now: ctx.now,
        })
      : verifyBundle(input.external, {
          trustedRoot: s.trustedRoot ?? ctx.trustedRoot,
          keys: externalKeys(s, ctx),
          roles: ["external"],
          requireLog: s.requireLog ?? false,
          ignoreUnknownLogs: !(s.requireLog ?? false),
          artifact: bytes,
          now: ctx.now,
        });
    if (r.ok) {
      ok = { signer: s, bundle: r.value };
      break;
    }
    failures.push(`${s.name}: ${r.reason}`);
    // A tampered signature fails every policy the same way; say so rather than "unknown signer".
    if (r.state === "invalid" || r.state === "revoked") return v.done(r.state, `external bundle: ${r.reason}`);
  }
  if (!ok) return v.done("unknown_signer", `no external signer policy accepts this bundle (${failures.join("; ")})`);
  v.signer = `${ok.signer.name}: ${ok.bundle.signer}`;
  v.logIndexes.push(...ok.bundle.logIndexes);
  if (ok.bundle.statement && !subjectDigests(ok.bundle.statement).includes(sha)) {
    return v.done("invalid", `firmware sha256 ${sha.slice(0, 12)}… is not among the attested subjects`);
  }
  if (input.minExternalOrder != null) {
    const order = externalOrderOf(ok.bundle.statement);
    if (order === null)
      return v.done(
        "invalid",
        `rollback protection: ${input.deviceId} has run CI build #${input.minExternalOrder}, and this firmware carries no signed order (buildSequence) to compare`,
      );
    if (order < input.minExternalOrder)
      return v.done(
        "invalid",
        `rollback refused: CI build #${order} is older than CI build #${input.minExternalOrder} already flashed to ${input.deviceId}`,
      );
  }
  if (ctx.revocations) {
    const hit = findRevocation(ctx.revocations, {
      firmwareSha256: sha,
      signerHints: ok.bundle.key ? [ok.bundle.key.hint] : [],
      workerId: null,
      esphomeVersion: null,
      configSha256: null,
      attestedAt: ok.bundle.signedAt,
    });
    if (hit) return v.done("revoked", hit.reason);
  }
  const summary = `signed outside Forge by ${v.signer}`;
  const stale = staleness(ctx);
  return stale ? v.done("stale", `${stale}; otherwise ${summary}`) : v.done("verified", summary);
}
