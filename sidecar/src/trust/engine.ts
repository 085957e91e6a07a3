// One object the sidecar wires in: keys, log, revocation list, attestations and build sequences over a
// shared better-sqlite3 connection, with the calls the job-completion hook, the upload gate, the REST
// routes and the events stream need. Every decision itself is made by the pure modules it delegates to.
import { join } from "node:path";
import type Database from "better-sqlite3";
import { bundleToJSON, type SerializedBundle } from "@sigstore/bundle";
import type { ExternalSignerPolicy, TrustVerdict } from "@esphome-forge/shared";
import { approveBuild, type ApprovalResult, type ApproveBuildInput } from "./attest/approval.js";
import { AttestationStore, BuildSequences, type StoredAttestation } from "./attest/attestation-store.js";
import { evaluateTrust, type TrustEvaluation } from "./policy/evaluator.js";
import type { ExternalSigner } from "./policy/verdict.js";
import { gateDecision, type GateDecision, type TrustMode } from "./policy/gate.js";
import { KeyRegistry, type KeyEvent, type KeyLookup, type TrustedKey } from "./keys/key-registry.js";
import type { SigningKey } from "./keys/keys.js";
import { auditLog, type AuditResult } from "./log/log-audit.js";
import { LogAuditor } from "./log/log-auditor.js";
import { ExternalSignerPolicies } from "./policy/external-policy.js";
import { JobVerdicts } from "./policy/job-verdicts.js";
import { exportProof, type LogProofFile } from "./log/log-proof.js";
import { TransparencyLog } from "./log/log-store.js";
import { loadOwnKey, rotateOwnKey, type OwnKeyRole } from "./keys/own-keys.js";
import type { RevocationEntry } from "./revocation/revocation.js";
import {
  RevocationListTamperedError,
  RevocationStore,
  withEntries,
  type RevocationImport,
  type StoredRevocationList,
} from "./revocation/revocation-store.js";
import { migrate } from "../db/database.js";
import { sha256Hex } from "./encoding.js";
import { parseApprovalFacts, parseStatement } from "./attest/statements.js";
import {
  buildTrustedRoot,
  loadTrustedRoot,
  type LoadedTrustedRoot,
  type TrustedRootJson,
} from "./keys/trusted-root.js";
import { VerdictBuilder, type TrustContext } from "./policy/verdict.js";
import { VerdictMemo } from "./policy/verdict-memo.js";
import { parseBundle } from "./attest/verify-bundle.js";
import { OtaKeyStore } from "./ota-signing/ota-key-store.js";

export interface TrustEngineOptions {
  db: Database.Database;
  /** The sidecar's data folder; keys go to `<dataDir>/trust/keys` (0700 folder, 0600 files). */
  dataDir: string;
  /** Checkpoint signature name / trusted-root host of our log. */
  logName?: string;
  /** Version of the trust policy, recorded in every approval. */
  policyVersion?: number;
  /** Treat "no revocation list yet" as stale (default false: a fresh install is not stale). */
  requireRevocationList?: boolean;
  externalSigners?: ExternalSigner[];
  /** Extra trusted root (e.g. a CI signer's CA and log) merged with ours. */
  extraTrustedRoot?: TrustedRootJson;
  /** The archived bytes of a firmware, for blob signatures (cosign sign-blob) looked up by digest. */
  firmwareBytes?: (sha256: string) => Buffer | null;
  now?: () => Date;
}

/**
 * Something a verdict may depend on changed. `affects` says which verdicts: `all`; only those that
 * lacked a known signer (`unknown_signer`) — a newly enrolled key cannot change any other verdict: what
 * it signed before its enrolment stays "not enrolled yet", and it has signed nothing stored since; or
 * those of one firmware (`firmware`: an attestation for it was added).
 */
export type TrustChange =
  | { type: "revocations"; version: number; affects: "all" }
  | { type: "keys"; event: KeyEvent["type"]; hint: string; role: string; affects: "all" | "unknown_signer" }
  | { type: "external_signers"; count: number; affects: "all" }
  | { type: "attestation"; firmwareSha256: string; affects: "firmware" };

export class TrustEngine {
  readonly keys: KeyRegistry;
  readonly attestations: AttestationStore;
  readonly sequences: BuildSequences;
  readonly revocations: RevocationStore;
  readonly jobVerdicts: JobVerdicts;
  /** The explicit policy for firmware signed outside Forge (REST: /trust/external-signers). */
  readonly external: ExternalSignerPolicies;
  readonly keysDir: string;
  /** Device signing keys for ESPHome's signed OTA (`<keysDir>/ota`; REST: /trust/ota-keys). */
  readonly otaKeys: OtaKeyStore;
  private sidecarKeyValue: SigningKey;
  private revocationKeyValue: SigningKey;
  private logValue: TransparencyLog;
  private readonly now: () => Date;
  private readonly listeners = new Set<(change: TrustChange) => void>();
  private readonly memo: VerdictMemo;
  /** The loaded trusted root, rebuilt after any key event (it lists every log key). */
  private rootCache: LoadedTrustedRoot | null = null;
  /** The key table as the verifiers see it, rebuilt after any key event (every verdict reads it). */
  private keyCache: KeyLookup | null = null;
  /** The log's consistency check: at start, on request, in full on demand. */
  readonly auditor: LogAuditor;

  constructor(private readonly opts: TrustEngineOptions) {
    migrate(opts.db); // the trust tables are ordered migrations like every other table (a no-op when current)
    this.now = opts.now ?? (() => new Date());
    this.memo = new VerdictMemo(() => this.now().getTime());
    this.keysDir = join(opts.dataDir, "trust", "keys");
    // Every key event is logged; the log key's own first enrolment waits until the log exists.
    let early: KeyEvent[] | null = [];
    this.keys = new KeyRegistry(opts.db, this.now, (e) => {
      if (early) early.push(e);
      else logKeyEvent(this.logValue, e);
      // Only a log key changes the trusted root, and so possibly any verdict.
      const affects = e.type === "key_enrolled" && e.key.role !== "log" ? "unknown_signer" : "all";
      this.emit({ type: "keys", event: e.type, hint: e.key.hint, role: e.key.role, affects });
    });
    const logKey = loadOwnKey(this.keys, this.keysDir, "log");
    this.logValue = new TransparencyLog(opts.db, { name: opts.logName ?? "esphome-forge-log", key: logKey }, () =>
      this.now().getTime(),
    );
    for (const e of early) logKeyEvent(this.logValue, e);
    early = null;
    this.sidecarKeyValue = loadOwnKey(this.keys, this.keysDir, "sidecar");
    this.revocationKeyValue = loadOwnKey(this.keys, this.keysDir, "revocation");
    this.attestations = new AttestationStore(opts.db, this.now);
    this.sequences = new BuildSequences(opts.db, this.now);
    this.revocations = new RevocationStore(opts.db, this.logValue, this.now, () => this.keys.snapshot());
    this.jobVerdicts = new JobVerdicts(opts.db);
    this.external = new ExternalSignerPolicies(opts.db);
    this.otaKeys = new OtaKeyStore(join(this.keysDir, "ota"), this.now);
    this.auditor = new LogAuditor(opts.db, () => this.trustedRoot().logKeys, this.now);
  }

  get log(): TransparencyLog {
    return this.logValue;
  }
  get sidecarKey(): SigningKey {
    return this.sidecarKeyValue;
  }
  get revocationKey(): SigningKey {
    return this.revocationKeyValue;
  }

  /** Every log key we ever used, each valid for its enrolment window: old bundles stay verifiable. */
  trustedRootJson(): TrustedRootJson {
    const logs = this.keys.list({ role: "log" }).map((k) => ({
      name: this.logValue.identity.name,
      publicKey: k.publicKey,
      validFrom: new Date(Math.floor(k.enrolledAt.getTime() / 1000) * 1000),
      validTo: k.retiredAt ?? k.revokedAt,
    }));
    return buildTrustedRoot(logs, this.opts.extraTrustedRoot);
  }

  trustedRoot(): LoadedTrustedRoot {
    if (this.rootCache) return this.rootCache;
    const r = loadTrustedRoot(this.trustedRootJson());
    if (!r.ok) throw new Error(r.error);
    this.rootCache = r.value;
    return r.value;
  }

  /** A consistent snapshot for the pure evaluator. */
  context(): TrustContext {
    return {
      trustedRoot: this.trustedRoot(),
      keys: (this.keyCache ??= this.keys.snapshot()),
      revocations: this.revocations.current()?.list ?? null,
      requireRevocationList: this.opts.requireRevocationList ?? false,
      externalSigners: [...(this.opts.externalSigners ?? []), ...this.external.signers()],
      now: this.now(),
    };
  }

  /** Worker enrolment: record the public key the worker generated. */
  enrolWorkerKey(workerId: string, publicKeyPem: string): TrustedKey {
    return this.keys.enrol({ role: "worker", owner: workerId, publicKeyPem });
  }

  /** Job completion hook. On refusal the caller fails the job with `reason` and archives nothing as trusted. */
  approveBuild(input: Omit<ApproveBuildInput, "policyVersion">): Promise<ApprovalResult> {
    return approveBuild(
      { ...input, policyVersion: this.opts.policyVersion ?? 1 },
      {
        log: this.logValue,
        attestations: this.attestations,
        sequences: this.sequences,
        sidecarKey: this.sidecarKeyValue,
        context: this.context(),
        revocationListVersion: this.revocations.current()?.version ?? null,
        transaction: (fn) => this.opts.db.transaction(fn)(),
      },
    ).finally(() => {
      for (const f of input.firmware) this.memo.forgetFirmware(f.sha256);
    });
  }

  /**
   * Trust state of a firmware for a device from what the store holds (REST, events, running firmware).
   * `remember: false` for a caller that keeps the answer itself (the device views keep one per device).
   */
  evaluate(
    deviceId: string,
    firmware: { bytes: Buffer } | { sha256: string | null },
    opts: { checkRollback?: boolean; expectedSha256?: string; remember?: boolean } = {},
  ): TrustEvaluation {
    // Only lookups by digest are remembered; the gate's bytes are always evaluated afresh.
    const memoable = !("bytes" in firmware) && firmware.sha256 !== null && !opts.checkRollback && !opts.expectedSha256;
    if (memoable) {
      const hit = this.memo.get(firmware.sha256!, deviceId);
      if (hit) return hit;
    }
    const result = this.evaluateNow(deviceId, firmware, opts);
    if (memoable && opts.remember !== false) this.memo.set(firmware.sha256!, deviceId, result);
    return result;
  }

  private evaluateNow(
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
      ? (this.attestations.approvalFor(lookup, deviceId) ??
        this.attestations.forFirmware(lookup, "approval")[0] ??
        null)
      : null;
    const buildDigest = approval ? approvalBuildDigest(approval.bundle) : null;
    const build = buildDigest ? this.attestations.buildFor(buildDigest) : null;
    const external = lookup && !approval ? (this.attestations.forFirmware(lookup, "external")[0] ?? null) : null;
    // A blob signature is checked against the bytes themselves: fetch them from the archive.
    let fw = firmware;
    let sha = given;
    const archived =
      external?.bundle.messageSignature && !("bytes" in firmware) && lookup ? this.opts.firmwareBytes?.(lookup) : null;
    if (archived) {
      fw = { bytes: archived };
      sha = sha256Hex(archived);
    }
    let ctx: TrustContext;
    try {
      ctx = this.context();
    } catch (err) {
      // Fail closed, loudly: an edited revocation list must never quietly drop a revocation.
      if (!(err instanceof RevocationListTamperedError)) throw err;
      return new VerdictBuilder(sha, this.now()).done("invalid", `trust data was tampered with: ${err.message}`);
    }
    return evaluateTrust(
      {
        deviceId,
        firmware: "bytes" in fw ? { bytes: fw.bytes, sha256: sha! } : { sha256: sha },
        approval: approval?.bundle,
        build: build?.bundle,
        external: external?.bundle,
        minBuildSequence: opts.checkRollback ? (this.sequences.installed(deviceId)?.buildSequence ?? null) : null,
      },
      ctx,
    );
  }

  /**
   * The upload gate: hash the exact bytes about to be sent, evaluate, decide by mode. `expectedSha256`
   * is the digest the archive records for the file, so bytes changed on disk read as tampering
   * (`invalid`) rather than as some unknown unsigned file.
   */
  gate(deviceId: string, bytes: Buffer, mode: TrustMode, expectedSha256?: string): GateDecision {
    return gateDecision(this.evaluate(deviceId, { bytes }, { checkRollback: true, expectedSha256 }), mode);
  }

  /**
   * Firmware signed outside Forge (a CI release with its cosign / Sigstore bundle), kept by digest so the
   * gate can evaluate it under the configured external-signer policy. The bundle is checked at use.
   */
  addExternalAttestation(
    bundle: unknown,
    firmware: { name: string; sha256: string },
    deviceId: string | null = null,
  ): StoredAttestation {
    const parsed = parseBundle(bundle);
    if (!parsed.ok) throw new Error(`external bundle: ${parsed.reason}`);
    const json = bundleToJSON(parsed.bundle);
    const key = parsed.bundle.verificationMaterial.content;
    const hint = key.$case === "publicKey" ? key.publicKey.hint : null;
    const att = this.attestations.add({
      kind: "external",
      deviceId,
      signerHint: hint,
      bundle: json,
      subjects: [firmware],
    });
    this.logValue.appendEvent("external_attestation", { firmwareSha256: firmware.sha256, deviceId, signerHint: hint });
    this.emit({ type: "attestation", firmwareSha256: firmware.sha256, affects: "firmware" });
    return att;
  }

  /**
   * Before a flash: its intent, so a flash that never reports back is still on record. `afterInterrupted`
   * names the earlier attempt whose flash never reported an outcome (this one flashes again).
   */
  recordOtaIntent(
    deviceId: string,
    firmwareSha256: string | null,
    d: {
      jobId: number;
      attempt: number;
      workerId: string;
      afterInterrupted: { jobId: number; attempt: number } | null;
    },
  ): number {
    return this.logValue.appendEvent("ota_intent", { deviceId, firmwareSha256, ...d }).index;
  }

  /** A flash that did not succeed: failed (the device kept its firmware), cancelled, or interrupted (unknown). */
  recordOtaFailure(
    deviceId: string,
    firmwareSha256: string | null,
    d: { jobId: number; attempt: number; outcome: "failed" | "cancelled" | "interrupted"; reason: string },
  ): number {
    return this.logValue.appendEvent("ota_failed", { deviceId, firmwareSha256, ...d }).index;
  }

  /** After a successful flash: log it and remember the sequence for anti-rollback. */
  recordOta(deviceId: string, firmwareSha256: string, verdict: TrustVerdict, jobId: number | null): number {
    this.sequences.recordInstalled(deviceId, firmwareSha256, verdict.buildSequence);
    return this.logValue.appendEvent("ota", {
      deviceId,
      firmwareSha256,
      buildSequence: verdict.buildSequence,
      state: verdict.state,
      jobId,
    }).index;
  }

  rotateKey(role: OwnKeyRole): TrustedKey[] {
    const r = rotateOwnKey(this.keys, this.keysDir, role);
    this.rootCache = null;
    this.keyCache = null;
    this.memo.clear();
    if (role === "sidecar") this.sidecarKeyValue = r.key;
    if (role === "revocation") this.revocationKeyValue = r.key;
    if (role === "log")
      this.logValue = new TransparencyLog(this.opts.db, { name: this.logValue.identity.name, key: r.key }, () =>
        this.now().getTime(),
      );
    return r.retired;
  }

  /** Signs the next list version with exactly these entries (see `revoke` to add to the current list). */
  async publishRevocations(entries: RevocationEntry[], validForMs: number): Promise<StoredRevocationList> {
    const stored = await this.revocations.publish(this.revocationKeyValue, entries, validForMs);
    this.emit({ type: "revocations", version: stored.version, affects: "all" });
    return stored;
  }

  /** The REST/CLI "revoke" verb: current entries plus these, as a new version. */
  revoke(entries: RevocationEntry[], validForMs: number): Promise<StoredRevocationList> {
    return this.publishRevocations(withEntries(this.revocations.current()?.list ?? null, entries), validForMs);
  }

  /** Import a list exported elsewhere; only `revocation` keys in the registry (the pinned ones) are accepted. */
  importRevocations(bundle: unknown): RevocationImport {
    const r = this.revocations.import(bundle, {
      keys: this.keys.snapshot(),
      trustedRoot: this.trustedRoot(),
      now: this.now(),
    });
    if (r.ok && r.changed) this.emit({ type: "revocations", version: r.stored.version, affects: "all" });
    return r;
  }

  /** Replaces the external-signer policy; every verdict may change, so listeners hear of it. */
  setExternalSigners(policies: ExternalSignerPolicy[]): ExternalSignerPolicy[] {
    const stored = this.external.replace(policies);
    this.emit({ type: "external_signers", count: stored.length, affects: "all" });
    return stored;
  }

  /** The revocation list's expiry passed: verdicts turn `stale` with nothing written, so tell listeners. */
  revocationsExpired(): void {
    this.emit({ type: "revocations", version: this.revocations.current()?.version ?? 0, affects: "all" });
  }

  /**
   * Called after anything that can change a verdict (revocation list, keys). The sidecar re-evaluates
   * every device's pending and running firmware and announces the new states. Returns an unsubscribe.
   */
  onTrustChange(listener: (change: TrustChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: TrustChange): void {
    if (change.affects === "firmware") this.memo.forgetFirmware(change.firmwareSha256);
    else {
      this.rootCache = null;
      this.keyCache = null;
      if (change.affects === "all") this.memo.clear();
      else this.memo.forgetWhere((e) => e.verdict.state === "unknown_signer");
    }
    for (const l of this.listeners) l(change);
  }

  /**
   * The full consistency check, in one go: the Merkle log recomputed from its rows against every
   * checkpoint (pass the ones held outside the database), plus the key table against the key events in
   * the log. The sidecar itself uses `auditor` (incremental at start, full in slices on demand).
   */
  auditLog(trustedCheckpoints: string[] = []): AuditResult {
    const { head: _head, ...result } = auditLog(this.opts.db, {
      logKeys: this.trustedRoot().logKeys,
      trustedCheckpoints,
    });
    return result;
  }

  proof(logIndex: number, fromTreeSize?: number): LogProofFile {
    return exportProof(this.logValue, logIndex, fromTreeSize);
  }
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

function logKeyEvent(log: TransparencyLog, e: KeyEvent): void {
  log.appendEvent(e.type, {
    hint: e.key.hint,
    role: e.key.role,
    owner: e.key.owner,
    reason: e.key.revokeReason ?? undefined,
  });
}
