// One object the sidecar wires in: keys, log, revocation list, attestations and build sequences over a
// shared better-sqlite3 connection, with the calls the job-completion hook, the upload gate, the REST
// routes and the events stream need. Every decision itself is made by the pure modules it delegates to.
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { ExternalSignerPolicy, TrustVerdict } from "@esphome-forge/shared";
import { approveBuild, type ApprovalResult, type ApproveBuildInput } from "./attest/approval.js";
import { AttestationStore, BuildSequences, type StoredAttestation } from "./attest/attestation-store.js";
import type { TrustEvaluation } from "./policy/evaluator.js";
import type { ExternalSigner } from "./policy/verdict.js";
import { gateDecision, type GateDecision, type TrustMode } from "./policy/gate.js";
import { KeyRegistry, type KeyEvent, type KeyLookup, type TrustedKey } from "./keys/key-registry.js";
import type { SigningKey } from "./keys/keys.js";
import { auditLog, type AuditResult } from "./log/log-audit.js";
import { LogAuditor } from "./log/log-auditor.js";
import { ExternalSignerPolicies, externalSignersDetail } from "./policy/external-policy.js";
import { storeExternalAttestation } from "./attest/external-attestation.js";
import { JobVerdicts } from "./policy/job-verdicts.js";
import { exportProof, type LogProofFile } from "./log/log-proof.js";
import { TransparencyLog } from "./log/log-store.js";
import { loadOwnKey, rotateOwnKey, type OwnKeyRole } from "./keys/own-keys.js";
import type { RevocationEntry } from "./revocation/revocation.js";
import {
  RevocationStore,
  withEntries,
  type RevocationImport,
  type StoredRevocationList,
} from "./revocation/revocation-store.js";
import { migrate } from "../db/database.js";
import type { LoadedTrustedRoot, TrustedRootJson } from "./keys/trusted-root.js";
import type { TrustContext } from "./policy/verdict.js";
import { VerdictMemo } from "./policy/verdict-memo.js";
import { OtaKeyStore } from "./ota-signing/ota-key-store.js";
import { recordTrustChange, type RecordedTrustChange, type TrustChangeInput } from "./log/trust-changes.js";
import { DevicePolicies, effectivePolicy } from "./policy/device-policy.js";
import { loggedPolicy, setLoggedDevicePolicy } from "./policy/logged-device-policy.js";
import { evaluateStored } from "./policy/stored-evaluation.js";
import { VerifierKeys } from "./keys/verifier-keys.js";
import { KeyEventLog } from "./log/key-event-log.js";
import { logOta, logOtaFailure, logOtaIntent, type OtaFailure, type OtaIntent } from "./log/ota-events.js";
import { revocationAnchorFile } from "./revocation/revocation-anchor.js";
import { PINNED_ROLES, PinnedKeys, pinnedKeysPath } from "./keys/pinned-keys.js";
import type { TrustPolicy } from "@esphome-forge/shared";
import { SignedImages } from "./ota-signing/signed-images.js";

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
  /** Approved images Forge signed for devices with signed OTA, by signed digest (ota-signing/signed-images.ts). */
  readonly otaSigned: SignedImages;
  private sidecarKeyValue: SigningKey;
  private revocationKeyValue: SigningKey;
  private logValue: TransparencyLog;
  private readonly now: () => Date;
  private readonly listeners = new Set<(change: TrustChange) => void>();
  private readonly memo: VerdictMemo;
  /** The key table and trusted root as the verifiers see them, rebuilt after any key event. */
  private readonly verifierKeys: VerifierKeys;
  /** The log's consistency check: at start, on request, in full on demand. */
  readonly auditor: LogAuditor;
  /** Device policies set through the admin API (the only way below the fleet's policy). */
  readonly devicePolicies: DevicePolicies;
  /** The sidecar's own public keys, pinned in a file beside the private keys (see keys/pinned-keys.ts). */
  readonly pins: PinnedKeys;
  /** Key events into the log, with who did them. */
  private readonly keyEvents = new KeyEventLog(() => this.logValue);

  constructor(private readonly opts: TrustEngineOptions) {
    migrate(opts.db); // the trust tables are ordered migrations like every other table (a no-op when current)
    this.now = opts.now ?? (() => new Date());
    this.memo = new VerdictMemo(() => this.now().getTime());
    this.keysDir = join(opts.dataDir, "trust", "keys");
    // Every key event is logged; the log key's own first enrolment waits until the log exists.
    this.pins = new PinnedKeys(pinnedKeysPath(this.keysDir));
    this.keys = new KeyRegistry(opts.db, this.now, (e) => {
      // The sidecar's own keys are pinned outside the database as they are enrolled and rotated out.
      if (e.type !== "key_revoked" && PINNED_ROLES.includes(e.key.role)) this.pins.pin(e.key);
      this.keyEvents.record(e);
      // Only a log key changes the trusted root, and so possibly any verdict.
      const affects = e.type === "key_enrolled" && e.key.role !== "log" ? "unknown_signer" : "all";
      this.emit({ type: "keys", event: e.type, hint: e.key.hint, role: e.key.role, affects });
    });
    // Before any key is loaded: every key event invalidates what the verifiers see.
    this.verifierKeys = new VerifierKeys(
      this.keys,
      this.pins,
      () => this.logValue.identity.name,
      opts.extraTrustedRoot,
    );
    const logKey = loadOwnKey(this.keys, this.keysDir, "log");
    this.logValue = new TransparencyLog(opts.db, { name: opts.logName ?? "esphome-forge-log", key: logKey }, () =>
      this.now().getTime(),
    );
    this.keyEvents.start();
    this.sidecarKeyValue = loadOwnKey(this.keys, this.keysDir, "sidecar");
    this.revocationKeyValue = loadOwnKey(this.keys, this.keysDir, "revocation");
    // First start with pinning (a new install, or an upgrade): the keys the database holds now are pinned.
    if (this.pins.created) for (const k of this.keys.list()) if (PINNED_ROLES.includes(k.role)) this.pins.pin(k);
    this.attestations = new AttestationStore(opts.db, this.now);
    this.sequences = new BuildSequences(opts.db, this.now);
    this.revocations = new RevocationStore(
      opts.db,
      this.logValue,
      this.now,
      () => this.keyLookup(),
      revocationAnchorFile(join(opts.dataDir, "trust", "revocation-anchor.json")),
    );
    this.jobVerdicts = new JobVerdicts(opts.db);
    this.external = new ExternalSignerPolicies(opts.db);
    this.otaKeys = new OtaKeyStore(join(this.keysDir, "ota"), this.now);
    this.devicePolicies = new DevicePolicies(opts.db, (row) =>
      loggedPolicy(this.logValue, row, this.trustedRoot().logKeys),
    );
    this.auditor = new LogAuditor(
      opts.db,
      () => this.trustedRoot().logKeys,
      this.now,
      () => this.anchorProblems(),
      join(opts.dataDir, "trust", "audit-state.json"),
    );
    this.otaSigned = new SignedImages(opts.db);
  }

  /**
   * The database against the anchors kept outside it: the pinned keys, the anchored revocation list, and
   * device policies that name a log entry. Part of every audit (a problem makes it fail).
   */
  anchorProblems(): string[] {
    return [
      ...this.pins.problems(this.keys.list()),
      ...this.revocations.anchorProblems(),
      ...this.devicePolicies.problems,
    ];
  }

  /** Runs `fn` with key events logged as done by `actor` (e.g. "api:alice", "worker:w1 (first use)"). */
  asActor<T>(actor: string, fn: () => T): T {
    return this.keyEvents.asActor(actor, fn);
  }

  /**
   * Records a change of trust in the transparency log (who, what, when) with a signed checkpoint over it.
   * The one entry point for code outside trust/: fleet policy, worker tokens, worker approvals, …
   */
  recordTrustChange(change: TrustChangeInput): RecordedTrustChange {
    return recordTrustChange(this.logValue, change);
  }

  /** The policy the gate applies to a device: the YAML comment may raise it, only the admin API may lower it. */
  policyFor(deviceId: string, fleet: TrustPolicy, yaml: TrustPolicy | null): TrustPolicy {
    return effectivePolicy({ fleet, yaml, admin: this.devicePolicies.get(deviceId) }).policy;
  }

  /** The admin API's device policy (null clears it, back to the fleet's); logged. */
  setDevicePolicy(deviceId: string, policy: TrustPolicy | null, actor: string): RecordedTrustChange {
    const record = (change: TrustChangeInput) => this.recordTrustChange(change);
    return setLoggedDevicePolicy(this.devicePolicies, record, this.now, { deviceId, policy, actor });
  }

  /** The connection the trust tables live on (read-only listings such as the trust changes). */
  get db(): Database.Database {
    return this.opts.db;
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
    return this.verifierKeys.trustedRootJson();
  }

  trustedRoot(): LoadedTrustedRoot {
    return this.verifierKeys.trustedRoot();
  }

  /** A consistent snapshot for the pure evaluator. */
  context(): TrustContext {
    return {
      trustedRoot: this.trustedRoot(),
      keys: this.keyLookup(),
      revocations: this.revocations.current()?.list ?? null,
      requireRevocationList: this.opts.requireRevocationList ?? false,
      externalSigners: [...(this.opts.externalSigners ?? []), ...this.external.signers()],
      now: this.now(),
    };
  }

  /** The key table as verifiers see it: the sidecar's own roles only as pinned. */
  keyLookup(): KeyLookup {
    return this.verifierKeys.keyLookup();
  }

  /** Worker enrolment: record the public key the worker generated. */
  enrolWorkerKey(workerId: string, publicKeyPem: string, actor = `worker:${workerId} (first use)`): TrustedKey {
    return this.asActor(actor, () => this.keys.enrol({ role: "worker", owner: workerId, publicKeyPem }));
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
    // An image Forge signed for a device's signed OTA is the approved image plus signature blocks: it is
    // judged by the approval of the image it was made from, and named by its own digest.
    const signedSha = "bytes" in firmware ? null : firmware.sha256;
    const approved = signedSha ? this.otaSigned.approvedFor(signedSha) : null;
    if (approved) {
      const e = this.evaluate(deviceId, { sha256: approved }, opts);
      const reason = `${e.verdict.reason}; flashed with Forge's signed-OTA blocks (approved image ${approved.slice(0, 12)}…)`;
      return { ...e, verdict: { ...e.verdict, reason, firmwareSha256: signedSha } };
    }
    // Only lookups by digest are remembered; the gate's bytes are always evaluated afresh.
    const memoable = !("bytes" in firmware) && firmware.sha256 !== null && !opts.checkRollback && !opts.expectedSha256;
    if (memoable) {
      const hit = this.memo.get(firmware.sha256!, deviceId);
      if (hit) return hit;
    }
    const result = evaluateStored(
      {
        attestations: this.attestations,
        sequences: this.sequences,
        firmwareBytes: this.opts.firmwareBytes,
        context: () => this.context(),
        now: this.now,
      },
      deviceId,
      firmware,
      opts,
    );
    if (memoable && opts.remember !== false) this.memo.set(firmware.sha256!, deviceId, result);
    return result;
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
    const stores = { attestations: this.attestations, log: this.logValue };
    const att = storeExternalAttestation(stores, bundle, firmware, deviceId);
    this.emit({ type: "attestation", firmwareSha256: firmware.sha256, affects: "firmware" });
    return att;
  }

  /** Before a flash: its intent, so a flash that never reports back is still on record. */
  recordOtaIntent(deviceId: string, firmwareSha256: string | null, d: OtaIntent): number {
    return logOtaIntent(this.logValue, deviceId, firmwareSha256, d);
  }

  /** A flash that did not succeed: failed (the device kept its firmware), cancelled, or interrupted (unknown). */
  recordOtaFailure(deviceId: string, firmwareSha256: string | null, d: OtaFailure): number {
    return logOtaFailure(this.logValue, deviceId, firmwareSha256, d);
  }

  /** After a successful flash: log it and remember the sequence for anti-rollback. */
  recordOta(deviceId: string, firmwareSha256: string, verdict: TrustVerdict, jobId: number | null): number {
    const stores = { log: this.logValue, sequences: this.sequences, attestations: this.attestations };
    return logOta(stores, deviceId, firmwareSha256, verdict, jobId);
  }

  rotateKey(role: OwnKeyRole, actor = "sidecar"): TrustedKey[] {
    const r = this.asActor(actor, () => rotateOwnKey(this.keys, this.keysDir, role));
    this.verifierKeys.invalidate();
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
      keys: this.keyLookup(),
      trustedRoot: this.trustedRoot(),
      now: this.now(),
    });
    if (r.ok && r.changed) this.emit({ type: "revocations", version: r.stored.version, affects: "all" });
    return r;
  }

  /** Replaces the external-signer policy; every verdict may change, so listeners hear of it. */
  setExternalSigners(policies: ExternalSignerPolicy[], actor = "sidecar"): ExternalSignerPolicy[] {
    const stored = this.external.replace(policies);
    this.recordTrustChange({
      change: "external_signers",
      actor,
      subject: "fleet",
      detail: externalSignersDetail(stored),
    });
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
      this.verifierKeys.invalidate();
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
