// The content-trust engine's public surface, for the sidecar core to wire in.
export { TrustEngine, type TrustChange, type TrustEngineOptions } from "./engine.js";
export { gateDecision, type GateDecision, type TrustMode } from "./policy/gate.js";
export { evaluateTrust } from "./policy/evaluator.js";
export { staleness, type EvaluateInput, type TrustContext, type TrustEvaluation } from "./policy/verdict.js";
export type { ExternalSigner } from "./policy/verdict.js";
export { approveBuild, type ApprovalResult, type ApproveBuildInput } from "./attest/approval.js";
export {
  verifyBundle,
  parseBundle,
  type BundleVerdict,
  type KeylessIdentity,
  type VerifiedBundle,
} from "./attest/verify-bundle.js";
export {
  KeyRegistry,
  keyLookupOf,
  keyValidAt,
  KEY_ROLES,
  type KeyEvent,
  type KeyLookup,
  type KeyRole,
  type TrustedKey,
} from "./keys/key-registry.js";
export {
  generateSigningKey,
  keyHint,
  loadOrCreateKey,
  publicKeyFromPem,
  readPrivateKeyFile,
  writePrivateKeyFile,
  KeyFilePermissionError,
  type SigningKey,
} from "./keys/keys.js";
export { loadOwnKey, rotateOwnKey, ownKeyPath, type OwnKeyRole } from "./keys/own-keys.js";
export { signBlob, signDsse, signStatement } from "./keys/sign.js";
export {
  approvalStatement,
  buildProvenanceStatement,
  parseApprovalFacts,
  parseBuildFacts,
  parseStatement,
  FORGE_APPROVAL_V1,
  FORGE_BUILD_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  SLSA_PROVENANCE_V1,
  type ApprovalFacts,
  type BuildFacts,
  type FirmwareSubject,
  type Statement,
} from "./attest/statements.js";
export {
  TransparencyLog,
  LogCorruptError,
  type InclusionProof,
  type LogEntry,
  type LogEntryKind,
} from "./log/log-store.js";
export { auditLog, type AuditResult } from "./log/log-audit.js";
export { exportProof, verifyProofFile, LOG_PROOF_MEDIA_TYPE, type LogProofFile } from "./log/log-proof.js";
export { logWitness, witnessBundle } from "./log/log-witness.js";
export { signCheckpoint, verifyCheckpoint, type SignedCheckpoint } from "./log/checkpoint.js";
export {
  buildTrustedRoot,
  loadTrustedRoot,
  type LoadedTrustedRoot,
  type TrustedRootJson,
} from "./keys/trusted-root.js";
export {
  compareEsphomeVersions,
  findRevocation,
  isExpired,
  parseRevocationList,
  RevocationEntry,
  RevocationList,
  REVOCATION_PAYLOAD_TYPE,
} from "./revocation/revocation.js";
export {
  RevocationStore,
  verifyRevocationBundle,
  withEntries,
  type RevocationImport,
  type StoredRevocationList,
} from "./revocation/revocation-store.js";
export { AttestationStore, BuildSequences, type StoredAttestation } from "./attest/attestation-store.js";
export { verifyCommand, EXIT_ERROR, EXIT_NOT_VERIFIED, EXIT_VERIFIED } from "./cli/verify-cli.js";
export { sha256File, sha256Hex } from "./encoding.js";
// Device signing for ESPHome's signed OTA (phase 2 wires it into the gate and the flasher).
export * from "./ota-signing/index.js";
