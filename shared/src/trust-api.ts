// REST bodies of the content-trust routes (/trust/...). Sigstore bundles and trusted roots are
// standard documents and travel as they are; only Forge's own shapes are described in detail.
import { z } from "zod";

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
