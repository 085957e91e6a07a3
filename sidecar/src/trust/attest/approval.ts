// Job completion: check the worker's signed provenance against what the sidecar knows (the bytes it
// received, the config it sent, the worker that held the job), log it, allocate the device's next build
// sequence and sign the sidecar's approval — which carries its own log entry.
import type { SerializedBundle } from "@sigstore/bundle";
import type { TrustState } from "@esphome-forge/shared";
import type { AttestationStore, BuildSequences, StoredAttestation } from "./attestation-store.js";
import { asJson, sha256Hex } from "../encoding.js";
import type { SigningKey } from "../keys/keys.js";
import type { TransparencyLog } from "../log/log-store.js";
import { witnessBundle } from "../log/log-witness.js";
import { findRevocation } from "../revocation/revocation.js";
import { signStatement } from "../keys/sign.js";
import { approvalStatement, parseBuildFacts, subjectDigests, type FirmwareSubject } from "./statements.js";
import type { TrustContext } from "../policy/verdict.js";
import { verifyBundle } from "./verify-bundle.js";

export interface ApproveBuildInput {
  deviceId: string;
  jobId?: number | null;
  /** The images as the sidecar received them; sha256 computed by the sidecar from the bytes. */
  firmware: FirmwareSubject[];
  /** The worker's bundle (JSON text or object). */
  buildBundle: unknown;
  /** sha256 of the config bundle the sidecar sent for this job. */
  expectedConfigSha256: string;
  /** The worker that held the job's lease. */
  expectedWorkerId: string;
  policyVersion: number;
}

export type ApprovalResult =
  | { ok: true; approval: StoredAttestation; build: StoredAttestation; buildSequence: number }
  | { ok: false; state: TrustState; reason: string };

export interface ApprovalDeps {
  log: TransparencyLog;
  attestations: AttestationStore;
  sequences: BuildSequences;
  sidecarKey: SigningKey;
  /** Keys, trusted root, revocation list and clock at this moment. */
  context: TrustContext;
  revocationListVersion: number | null;
  /** Runs `fn` in one database transaction (better-sqlite3's db.transaction). */
  transaction: <T>(fn: () => T) => T;
}

const refuse = (state: TrustState, reason: string): ApprovalResult => ({ ok: false, state, reason });

export async function approveBuild(input: ApproveBuildInput, deps: ApprovalDeps): Promise<ApprovalResult> {
  const ctx = deps.context;
  const json = asJson(input.buildBundle);
  if (!json.ok) return refuse("invalid", `worker bundle is ${json.error}`);
  // A fresh worker bundle has no log entry yet; its key must be valid right now.
  const b = verifyBundle(json.value, {
    trustedRoot: ctx.trustedRoot,
    keys: ctx.keys,
    roles: ["worker"],
    requireLog: false,
    now: ctx.now,
  });
  if (!b.ok) return refuse(b.state, `worker bundle: ${b.reason}`);
  if (!b.value.statement) return refuse("invalid", "worker bundle does not carry an in-toto statement");
  const f = parseBuildFacts(b.value.statement);
  if (!f.ok) return refuse("invalid", `worker bundle: ${f.error}`);
  const facts = f.value;
  const key = b.value.key!;

  if (key.owner !== input.expectedWorkerId) {
    return refuse(
      "invalid",
      `bundle is signed by the key of worker "${key.owner}", but worker "${input.expectedWorkerId}" ran the job`,
    );
  }
  if (facts.workerId !== key.owner)
    return refuse("invalid", `statement claims worker "${facts.workerId}" but is signed by "${key.owner}"`);
  if (facts.deviceId !== input.deviceId)
    return refuse("invalid", `worker signed a build of "${facts.deviceId}", the job was for "${input.deviceId}"`);
  if (facts.configSha256 !== input.expectedConfigSha256) {
    return refuse(
      "invalid",
      `worker built config ${facts.configSha256.slice(0, 12)}…, the sidecar sent ${input.expectedConfigSha256.slice(0, 12)}…`,
    );
  }
  const signed = new Set(subjectDigests(b.value.statement));
  const received = new Set(input.firmware.map((x) => x.sha256));
  for (const d of received) {
    if (!signed.has(d))
      return refuse(
        "invalid",
        `received image ${d.slice(0, 12)}… is not among the worker's signed outputs: it was altered after signing`,
      );
  }
  for (const d of signed)
    if (!received.has(d)) return refuse("invalid", `worker signed image ${d.slice(0, 12)}…, which never arrived`);

  if (ctx.revocations) {
    for (const fw of input.firmware) {
      const hit = findRevocation(ctx.revocations, {
        firmwareSha256: fw.sha256,
        signerHints: [key.hint],
        workerId: facts.workerId,
        esphomeVersion: facts.esphomeVersion,
        configSha256: facts.configSha256,
        attestedAt: null,
      });
      if (hit) return refuse("revoked", hit.reason);
    }
  }

  // Two short transactions around the (async) signing: log + store the worker's statement and take the
  // next sequence; then log + store the approval that points at both.
  const payloadSha256 = sha256Hex(b.value.payload!);
  const { build, buildSequence } = deps.transaction(() => {
    const witnessed = witnessBundle(deps.log, "build_attestation", json.value as SerializedBundle, key.publicPem);
    const stored = deps.attestations.add({
      kind: "build",
      deviceId: input.deviceId,
      jobId: input.jobId ?? null,
      signerHint: key.hint,
      logIndex: witnessed.logIndex,
      payloadSha256,
      bundle: witnessed.bundle,
      subjects: input.firmware,
    });
    return { build: stored, buildSequence: deps.sequences.allocate(input.deviceId) };
  });
  const statement = approvalStatement({
    deviceId: input.deviceId,
    buildSequence,
    firmware: input.firmware,
    configSha256: facts.configSha256,
    esphomeVersion: facts.esphomeVersion,
    platform: facts.platform,
    board: facts.board,
    worker: { id: facts.workerId, keyHint: key.hint },
    buildAttestation: { payloadSha256, logIndex: build.logIndex! },
    policyVersion: input.policyVersion,
    revocationListVersion: deps.revocationListVersion,
    approvedAt: ctx.now.toISOString(),
    jobId: input.jobId ?? null,
  });
  const approvalBundle = await signStatement(statement, deps.sidecarKey);
  const approval = deps.transaction(() => {
    const witnessed = witnessBundle(deps.log, "approval", approvalBundle, deps.sidecarKey.publicPem);
    return deps.attestations.add({
      kind: "approval",
      deviceId: input.deviceId,
      jobId: input.jobId ?? null,
      signerHint: deps.sidecarKey.hint,
      buildSequence,
      logIndex: witnessed.logIndex,
      payloadSha256: sha256Hex(Buffer.from(approvalBundle.dsseEnvelope!.payload, "base64")),
      bundle: witnessed.bundle,
      subjects: input.firmware,
    });
  });
  return { ok: true, approval, build, buildSequence };
}
