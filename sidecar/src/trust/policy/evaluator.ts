// The pure trust evaluator: firmware (bytes or digest) + bundles + trust anchors + revocation list →
// a TrustVerdict with a reason. No database, no clock, no network: the same inputs give the same answer,
// so the upload gate, the REST API, the events stream and `esphome-forge verify` all agree.
import type { TrustState } from "@esphome-forge/shared";
import { sha256Hex, shortHint } from "../encoding.js";
import { evaluateExternal } from "./evaluate-external.js";
import { findRevocation } from "../revocation/revocation.js";
import {
  parseApprovalFacts,
  parseBuildFacts,
  subjectDigests,
  type ApprovalFacts,
  type BuildFacts,
} from "../attest/statements.js";
import { verifyBundle, type VerifiedBundle } from "../attest/verify-bundle.js";
import { staleness, VerdictBuilder, type EvaluateInput, type TrustContext, type TrustEvaluation } from "./verdict.js";

export type { EvaluateInput, TrustContext, TrustEvaluation } from "./verdict.js";

export function evaluateTrust(input: EvaluateInput, ctx: TrustContext): TrustEvaluation {
  const fw = input.firmware;
  const sha = "bytes" in fw ? (fw.sha256 ?? sha256Hex(fw.bytes)) : fw.sha256;
  const v = new VerdictBuilder(sha, ctx.now);
  if (!sha) return v.done("unknown", "the running firmware cannot be matched to any known build");
  const artifactRevoked = ctx.revocations?.entries.find((e) => e.kind === "artifact" && e.sha256 === sha);
  if (artifactRevoked) return v.done("revoked", `firmware ${sha.slice(0, 12)}… is revoked: ${artifactRevoked.reason}`);
  if (input.approval == null) {
    if (input.external != null) return evaluateExternal(input, sha, ctx, v);
    return v.done("unsigned", `no signed approval exists for firmware ${sha.slice(0, 12)}…`);
  }

  const a = verifyBundle(input.approval, {
    trustedRoot: ctx.trustedRoot,
    keys: ctx.keys,
    roles: ["sidecar"],
    requireLog: true,
    now: ctx.now,
  });
  if (!a.ok) return v.done(a.state, `approval: ${a.reason}`);
  v.signer = a.value.signer;
  v.logIndexes.push(...a.value.logIndexes);
  if (!a.value.statement) return v.done("invalid", "approval bundle does not carry an in-toto statement");
  const facts = parseApprovalFacts(a.value.statement);
  if (!facts.ok) return v.done("invalid", `approval: ${facts.error}`);
  v.approval = facts.value;
  const approval = facts.value;

  if (!subjectDigests(a.value.statement).includes(sha)) {
    return v.done(
      "invalid",
      `firmware sha256 ${sha.slice(0, 12)}… is not what was approved: the bytes were altered after signing or belong to another build`,
    );
  }
  if (approval.deviceId !== input.deviceId) {
    return v.done("invalid", `approval is for device "${approval.deviceId}", not "${input.deviceId}"`);
  }
  if (input.expectedConfigSha256 && approval.configSha256 !== input.expectedConfigSha256) {
    return v.done(
      "invalid",
      `firmware was built from config ${approval.configSha256.slice(0, 12)}…, expected ${input.expectedConfigSha256.slice(0, 12)}…`,
    );
  }

  let build: VerifiedBundle | null = null;
  if (input.build != null) {
    const b = checkBuild(input.build, sha, approval, ctx);
    if (!b.ok) return v.done(b.state, `build provenance: ${b.reason}`);
    build = b.bundle;
    v.build = b.facts;
    v.logIndexes.push(...b.bundle.logIndexes);
  } else {
    v.notes.push("worker provenance was not supplied; the approval records that the sidecar checked it");
  }

  if (ctx.revocations) {
    const hit = findRevocation(ctx.revocations, {
      firmwareSha256: sha,
      signerHints: [a.value.key?.hint, approval.worker.keyHint].filter((h): h is string => !!h),
      workerId: approval.worker.id,
      esphomeVersion: approval.esphomeVersion,
      configSha256: approval.configSha256,
      attestedAt: build?.signedAt ?? a.value.signedAt,
    });
    if (hit) return v.done("revoked", hit.reason);
  }
  if (input.minBuildSequence != null && approval.buildSequence < input.minBuildSequence) {
    return v.done(
      "invalid",
      `rollback refused: build #${approval.buildSequence} is older than build #${input.minBuildSequence} already on ${input.deviceId}`,
    );
  }
  const stale = staleness(ctx);
  const summary =
    `approved as build #${approval.buildSequence} for ${approval.deviceId} by ${a.value.signer}` +
    ` (log index ${a.value.logIndexes.join(", ")}); built by worker ${approval.worker.id} with ESPHome ${approval.esphomeVersion}`;
  if (stale) return v.done("stale", `${stale}; otherwise ${summary}`);
  return v.done("verified", summary);
}

function checkBuild(
  input: unknown,
  sha: string,
  approval: ApprovalFacts,
  ctx: TrustContext,
): { ok: true; bundle: VerifiedBundle; facts: BuildFacts } | { ok: false; state: TrustState; reason: string } {
  const b = verifyBundle(input, {
    trustedRoot: ctx.trustedRoot,
    keys: ctx.keys,
    roles: ["worker"],
    requireLog: false,
    now: ctx.now,
  });
  if (!b.ok) return b;
  if (!b.value.statement) return { ok: false, state: "invalid", reason: "bundle does not carry an in-toto statement" };
  const f = parseBuildFacts(b.value.statement);
  if (!f.ok) return { ok: false, state: "invalid", reason: f.error };
  const facts = f.value;
  const key = b.value.key!;
  const mismatch = (what: string): { ok: false; state: TrustState; reason: string } => ({
    ok: false,
    state: "invalid",
    reason: what,
  });
  if (key.owner !== facts.workerId)
    return mismatch(`statement claims worker "${facts.workerId}" but is signed by the key of "${key.owner}"`);
  if (!subjectDigests(b.value.statement).includes(sha))
    return mismatch(`firmware ${sha.slice(0, 12)}… is not among the worker's signed outputs`);
  if (facts.deviceId !== approval.deviceId)
    return mismatch(`worker built for device "${facts.deviceId}", approval is for "${approval.deviceId}"`);
  if (sha256Hex(b.value.payload!) !== approval.buildAttestation.payloadSha256)
    return mismatch("it is not the statement the approval refers to");
  if (key.hint !== approval.worker.keyHint || facts.workerId !== approval.worker.id) {
    return mismatch(
      `approval names worker ${approval.worker.id} (key ${shortHint(approval.worker.keyHint)}), provenance is from ${facts.workerId}`,
    );
  }
  if (facts.configSha256 !== approval.configSha256 || facts.esphomeVersion !== approval.esphomeVersion) {
    return mismatch("config digest or ESPHome version differs between provenance and approval");
  }
  return { ok: true, bundle: b.value, facts };
}
