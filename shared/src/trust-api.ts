// REST bodies of the content-trust routes (/trust/...). Sigstore bundles and trusted roots are
// standard documents and travel as they are; only Forge's own shapes are described in detail.
import { z } from "zod";
import { DeviceId } from "./domain.js";
import { FirmwareImage } from "./jobs.js";
import { TrustPolicy, TrustVerdict } from "./trust-verdict.js";

const Json = z.record(z.string(), z.unknown());

export const TrustKey = z.object({
  hint: z.string(),
  role: z.enum(["worker", "sidecar", "log", "revocation", "external"]),
  owner: z.string(),
  publicKey: z.string(),
  enrolledAt: z.string(),
  retiredAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokeReason: z.string().nullable(),
});
export const TrustKeyList = z.object({ keys: z.array(TrustKey) });

/** One revocation: artifact / config (sha256), signer (keyHint), worker (workerId), esphome_version range. */
export const RevocationEntryBody = z
  .object({
    kind: z.enum(["artifact", "signer", "worker", "esphome_version", "config"]),
    reason: z.string().min(1).max(500),
    since: z.string().optional(),
    sha256: z.string().optional(),
    keyHint: z.string().optional(),
    workerId: z.string().optional(),
    introduced: z.string().optional(),
    fixed: z.string().optional(),
  })
  .strict();
export const RevokeRequest = z.object({
  entries: z.array(RevocationEntryBody).min(1).max(1000),
  /** How long the new list stays fresh (default 90 days); after that states read `stale`. */
  validForDays: z.number().int().min(1).max(3650).optional(),
});
export const RevocationListResponse = z.object({
  version: z.number().int(),
  expiresAt: z.string(),
  entries: z.array(Json),
  logIndex: z.number().int().nullable(),
  /** The signed list (Sigstore bundle): what export hands out and import takes. */
  bundle: Json,
});
export const RevocationImportResponse = z.object({ changed: z.boolean(), version: z.number().int() });
export const LogCheckpointResponse = z.object({ treeSize: z.number().int(), envelope: z.string() });
export const LogProofResponse = z.object({
  mediaType: z.string(),
  logIndex: z.number().int(),
  treeSize: z.number().int(),
  hashes: z.array(z.string()),
  checkpoint: z.string(),
});
export const ApprovalQuery = z.object({ device: z.string().optional() });

/** Rotate one of the sidecar's own keys; the old one is retired, so what it signed stays verifiable. */
export const RotateKeyRequest = z.object({ role: z.enum(["sidecar", "log", "revocation"]) }).strict();
export const RotateKeyResponse = z.object({ current: TrustKey, retired: z.array(TrustKey) });

/**
 * `recheck`: audit the log again from where the last clean audit ended (cheap); `full`: rehash every
 * entry from the first (costs the log's length; runs in slices, the sidecar keeps serving).
 */
export const TrustStatusQuery = z.object({
  recheck: z.enum(["true", "false"]).optional(),
  full: z.enum(["true", "false"]).optional(),
});
export const TrustAudit = z.object({
  ok: z.boolean(),
  checkedAt: z.string(),
  treeSize: z.number().int(),
  checkpointsChecked: z.number().int(),
  /** Each edited, deleted or reordered log row, key-table mismatch, … named. */
  problems: z.array(z.string()),
  /** `full`: every entry rehashed; `incremental`: the entries from `fromTreeSize` on, after checking that the stored hashes still give the root audited then. */
  scope: z.enum(["full", "incremental"]).optional(),
  fromTreeSize: z.number().int().optional(),
});
/** The fleet's trust policy, the revocation list's freshness and the log's consistency check. */
export const TrustStatus = z.object({
  policy: TrustPolicy,
  revocations: z
    .object({
      version: z.number().int(),
      issuedAt: z.string(),
      expiresAt: z.string(),
      expired: z.boolean(),
      entries: z.number().int(),
    })
    .nullable(),
  /** Set when the stored revocation list fails its own check (then every verdict reads `invalid`). */
  revocationError: z.string().nullable(),
  log: z.object({ size: z.number().int(), audit: TrustAudit.nullable() }),
  keys: z.object({ active: z.number().int(), retired: z.number().int(), revoked: z.number().int() }),
  /**
   * Home Assistant's witness of the log (added by the integration, never by the sidecar): the newest
   * checkpoint it kept, and whether the log still extends it (RFC 6962 consistency proof).
   */
  witness: z
    .object({
      state: z.enum(["first_seen", "consistent", "unchanged", "forked", "shrank"]),
      ok: z.boolean(),
      treeSize: z.number().int(),
      witnessedSize: z.number().int(),
      witnessedAt: z.string().nullable(),
      problem: z.string().nullable(),
    })
    .nullable()
    .optional(),
});
export type TrustStatus = z.infer<typeof TrustStatus>;

/**
 * Firmware signed outside Forge (CI) is accepted only under one of these named policies: a cosign key
 * (`publicKey`, PEM) or a keyless CI identity (`keyless`: OIDC issuer + workflow SAN pattern, checked
 * against `trustedRoot`, the Sigstore trusted_root.json of that CA and log), optionally for some devices.
 */
export const ExternalSignerPolicy = z
  .object({
    name: z.string().min(1).max(100),
    devices: z.array(DeviceId).max(10_000).optional(),
    publicKey: z.string().min(1).max(4096).optional(),
    keyless: z
      .object({
        issuer: z.string().min(1).max(500),
        /** Regular expression, anchored for you, over the certificate's SAN (e.g. the workflow ref). */
        subjectPattern: z.string().min(1).max(1000),
        /** SCTs required from the root's CT logs (0 for a private CA without one). */
        ctlogThreshold: z.number().int().min(0).max(10).optional(),
      })
      .strict()
      .optional(),
    trustedRoot: Json.optional(),
    /** Require a transparency-log entry (default: true for keyless, false for keys). */
    requireLog: z.boolean().optional(),
  })
  .strict()
  .refine((p) => (p.publicKey === undefined) !== (p.keyless === undefined), "give exactly one of publicKey or keyless")
  .refine(
    (p) => p.keyless === undefined || p.trustedRoot !== undefined,
    "a keyless policy needs the trustedRoot of its CA and log",
  );
export type ExternalSignerPolicy = z.infer<typeof ExternalSignerPolicy>;
export const ExternalSigners = z.object({ signers: z.array(ExternalSignerPolicy).max(50) });
export type ExternalSigners = z.infer<typeof ExternalSigners>;

/** A CI-built firmware and its Sigstore bundle (cosign `--bundle` output), for one device. */
export const ExternalFirmwareUpload = z
  .object({
    deviceId: DeviceId,
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^/\\]+$/)
      .default("firmware.ota.bin"),
    /** The image, base64. */
    firmware: z.string().min(1),
    bundle: Json,
  })
  .strict();
export const ExternalFirmwareResponse = z.object({ firmware: FirmwareImage, verdict: TrustVerdict });

/** A device signing key for ESPHome's signed OTA (RSA-3072, held by the sidecar), by its SBv2 key digest. */
export const OtaKeyDigest = z.string().regex(/^[0-9a-f]{64}$/, "a 64-hex SBv2 key digest");
export const OtaKey = z.object({
  digest: OtaKeyDigest,
  name: z.string(),
  createdAt: z.string(),
  /** `active` keys sign every image (one signature block each, oldest first); `retired` ones sign nothing. */
  state: z.enum(["active", "retired"]),
  retiredAt: z.string().nullable(),
  /** Where the private key is held (only `file` today; never served). */
  signer: z.enum(["file"]),
  /** SPKI PEM of the public key (what a device's `verification_keys` may list as a file). */
  publicKey: z.string(),
});
export type OtaKey = z.infer<typeof OtaKey>;
export const OtaKeyList = z.object({ keys: z.array(OtaKey), maxActive: z.number().int() });
/** A device signing key's name: 1-64 letters, digits, space . _ : @ + - */
export const OTA_KEY_NAME = /^[\w .:@+-]{1,64}$/;
const OtaKeyName = z.string().regex(OTA_KEY_NAME, "1-64 letters, digits, space . _ : @ + -").optional();
export const OtaKeyCreateRequest = z.object({ name: OtaKeyName }).strict();
export const OtaKeyRotateResponse = z.object({ added: OtaKey, active: z.array(OtaKey), steps: z.array(z.string()) });
/** `force` is needed to retire the last active key (nothing could be signed afterwards). */
export const OtaKeyRetireRequest = z.object({ force: z.boolean().optional() }).strict();
/** The YAML that makes a device enforce signed OTA with Forge's keys (default: the active ones). */
export const SignedOtaYamlRequest = z
  .object({
    keys: z
      .array(z.string().regex(/^[0-9a-f]{8,64}$/))
      .min(1)
      .max(3)
      .optional(),
    keyForm: z.enum(["digest", "pem"]).optional(),
    /** ESP32 variant (`esp32`, `esp32s3`, …) when known. */
    variant: z.string().max(32).optional(),
    downgradeProtection: z
      .object({ projectName: z.string().max(127), projectVersion: z.string().max(31) })
      .strict()
      .optional(),
  })
  .strict();
export const SignedOtaYamlResponse = z.object({
  yaml: z.string(),
  /** Files to place beside the YAML (PEM form), paths relative to the config folder. */
  files: z.array(z.object({ path: z.string(), content: z.string() })),
});

/** Changes of trust as the transparency log recorded them (newest first): who, what, when. */
export const TrustChangesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Page backwards: entries with a log index below this. */
    before: z.coerce.number().int().min(0).optional(),
  })
  .strict();
export const TrustChange = z.object({
  index: z.number().int(),
  kind: z.string(),
  integratedTime: z.number().int(),
  at: z.string(),
  /** The logged event: `change`, `actor`, `subject`, `detail` for policy changes; `hint`, `role`, `owner`, `actor` for key events. */
  event: Json,
});
export const TrustChangeList = z.object({ changes: z.array(TrustChange) });

/** RFC 6962 consistency proof between two tree sizes of the log (both signed heads included). */
export const LogConsistencyQuery = z
  .object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1).optional() })
  .strict();
export const LogConsistencyResponse = z.object({
  fromTreeSize: z.number().int(),
  toTreeSize: z.number().int(),
  /** Audit path, base64, as RFC 6962 §2.1.2 (RFC 9162 §2.1.4) orders it. */
  hashes: z.array(z.string()),
  /** Signed notes for both sizes (C2SP signed-note format). */
  fromCheckpoint: z.string(),
  toCheckpoint: z.string(),
});

/** A device's trust policy set through the admin API: the only way below the fleet's policy (logged). */
export const DeviceTrustPolicyPut = z.object({ policy: TrustPolicy.nullable() }).strict();
export const DeviceTrustPolicyResponse = z.object({
  deviceId: DeviceId,
  /** What the admin set (null: the fleet's). */
  admin: TrustPolicy.nullable(),
  /** What the device's YAML comment says (it can only raise the policy). */
  yaml: TrustPolicy.nullable(),
  fleet: TrustPolicy,
  effective: TrustPolicy,
  logIndex: z.number().int().nullable(),
});
