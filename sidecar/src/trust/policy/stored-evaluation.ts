// One firmware judged from what the trust store holds about it: the sidecar's approval (and the worker
// build statement it points at), else an external attestation, under the current trust context. The
// engine remembers these answers (verdict-memo.ts); this module computes one afresh.
import type { SerializedBundle } from "@sigstore/bundle";
import type { AttestationStore, BuildSequences } from "../attest/attestation-store.js";
import { parseApprovalFacts, parseStatement } from "../attest/statements.js";
import { sha256Hex } from "../encoding.js";
import { RevocationListTamperedError } from "../revocation/revocation-store.js";
import { evaluateTrust } from "./evaluator.js";
import { VerdictBuilder, type TrustContext, type TrustEvaluation } from "./verdict.js";

export interface StoredEvaluationDeps {
  attestations: AttestationStore;
  sequences: BuildSequences;
  /** The archived bytes of a firmware, for blob signatures (cosign sign-blob) looked up by digest. */
  firmwareBytes?: (sha256: string) => Buffer | null;
  /** A consistent snapshot for the pure evaluator (throws when the revocation list was tampered with). */
  context: () => TrustContext;
  now: () => Date;
}

export function evaluateStored(
  deps: StoredEvaluationDeps,
  deviceId: string,
  firmware: { bytes: Buffer } | { sha256: string | null },
  opts: { checkRollback?: boolean; expectedSha256?: string },
): TrustEvaluation {
  // Hash once: the same digest finds the bundles and is checked against them.
  const given = "bytes" in firmware ? sha256Hex(firmware.bytes) : firmware.sha256;
  const lookup = opts.expectedSha256 ?? given;
  // An approval made for another device is still evaluated, so the answer is "wrong device" (invalid)
  // rather than "unsigned".
  const approval = lookup
    ? (deps.attestations.approvalFor(lookup, deviceId) ?? deps.attestations.forFirmware(lookup, "approval")[0] ?? null)
    : null;
  const buildDigest = approval ? approvalBuildDigest(approval.bundle) : null;
  const build = buildDigest ? deps.attestations.buildFor(buildDigest) : null;
  const external = lookup && !approval ? (deps.attestations.forFirmware(lookup, "external")[0] ?? null) : null;
  // A blob signature is checked against the bytes themselves: fetch them from the archive.
  let fw = firmware;
  let sha = given;
  const archived =
    external?.bundle.messageSignature && !("bytes" in firmware) && lookup ? deps.firmwareBytes?.(lookup) : null;
  if (archived) {
    fw = { bytes: archived };
    sha = sha256Hex(archived);
  }
  let ctx: TrustContext;
  try {
    ctx = deps.context();
  } catch (err) {
    // Fail closed, loudly: an edited revocation list must never quietly drop a revocation.
    if (!(err instanceof RevocationListTamperedError)) throw err;
    return new VerdictBuilder(sha, deps.now()).done("invalid", `trust data was tampered with: ${err.message}`);
  }
  return evaluateTrust(
    {
      deviceId,
      firmware: "bytes" in fw ? { bytes: fw.bytes, sha256: sha! } : { sha256: sha },
      approval: approval?.bundle,
      build: build?.bundle,
      external: external?.bundle,
      // The highest ever flashed, not what runs now: a CI or warn/off flash in between resets nothing.
      minBuildSequence: opts.checkRollback ? (deps.sequences.installed(deviceId)?.maxBuildSequence ?? null) : null,
      minExternalOrder: opts.checkRollback ? (deps.sequences.installed(deviceId)?.maxExternalOrder ?? null) : null,
    },
    ctx,
  );
}

/** The worker statement an approval points at; unverified here, the evaluator checks both. */
function approvalBuildDigest(bundle: SerializedBundle): string | null {
  const payload = bundle.dsseEnvelope?.payload;
  if (!payload) return null;
  const st = parseStatement(Buffer.from(payload, "base64"));
  if (!st.ok) return null;
  const facts = parseApprovalFacts(st.value);
  return facts.ok ? facts.value.buildAttestation.payloadSha256 : null;
}
