// The record of every approved image Forge signed for a device: the signed digest (what is flashed and
// archived) next to the unsigned one (what the gate approved and the approval names), the keys that
// signed it, and what the firmware built from that config will trust once it runs — its
// `verification_keys`, downgrade protection and project version. The last three are how Forge knows,
// per device and across a key rotation, what the device's running firmware accepts: the firmware Forge
// last flashed is looked up here by its digest.
import type { Db } from "../../db/database.js";

export interface SignedImageRecord {
  signedSha256: string;
  unsignedSha256: string;
  deviceId: string;
  jobId: number | null;
  size: number;
  /** The keys whose blocks the image carries, in block order. */
  keyDigests: string[];
  /** SHA-256 of the padded image, which every block signs. */
  imageDigest: string;
  projectVersion: string | null;
  /** `verification_keys` of the config the image was built from: what the device trusts once it runs it. */
  trustedKeys: string[];
  downgradeProtection: boolean;
  /** The trust log entry of the approval of the unsigned image, and of this signing. */
  approvalLogIndex: number | null;
  logIndex: number | null;
  createdAt: number;
}

interface Row {
  signed_sha256: string;
  unsigned_sha256: string;
  device_id: string;
  job_id: number | null;
  size: number;
  key_digests: string;
  image_digest: string;
  project_version: string | null;
  trusted_keys: string;
  downgrade_protection: number;
  approval_log_index: number | null;
  log_index: number | null;
  created_at: number;
}

const fromRow = (r: Row): SignedImageRecord => ({
  signedSha256: r.signed_sha256,
  unsignedSha256: r.unsigned_sha256,
  deviceId: r.device_id,
  jobId: r.job_id,
  size: r.size,
  keyDigests: JSON.parse(r.key_digests) as string[],
  imageDigest: r.image_digest,
  projectVersion: r.project_version,
  trustedKeys: JSON.parse(r.trusted_keys) as string[],
  downgradeProtection: r.downgrade_protection === 1,
  approvalLogIndex: r.approval_log_index,
  logIndex: r.log_index,
  createdAt: r.created_at,
});

export class SignedImages {
  private readonly stmt;
  /** By signed digest: records never change, and every device view asks for the one its device runs. */
  private readonly cache = new Map<string, SignedImageRecord | null>();

  constructor(private readonly db: Db) {
    this.stmt = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO ota_signed_images (signed_sha256, unsigned_sha256, device_id, job_id, size, key_digests,
         image_digest, project_version, trusted_keys, downgrade_protection, approval_log_index, log_index, created_at)
         VALUES (@signedSha256, @unsignedSha256, @deviceId, @jobId, @size, @keyDigests, @imageDigest, @projectVersion,
         @trustedKeys, @downgradeProtection, @approvalLogIndex, @logIndex, @createdAt)`,
      ),
      bySigned: db.prepare("SELECT * FROM ota_signed_images WHERE signed_sha256 = ?"),
      forUnsigned: db.prepare(
        "SELECT * FROM ota_signed_images WHERE unsigned_sha256 = ? AND device_id = ? ORDER BY created_at DESC",
      ),
    };
  }

  add(r: SignedImageRecord): void {
    this.stmt.insert.run({
      ...r,
      keyDigests: JSON.stringify(r.keyDigests),
      trustedKeys: JSON.stringify(r.trustedKeys),
      downgradeProtection: r.downgradeProtection ? 1 : 0,
    });
    this.cache.delete(r.signedSha256);
  }

  /** The record of a signed image, by the digest of its signed bytes. */
  bySigned(sha256: string): SignedImageRecord | null {
    if (this.cache.has(sha256)) return this.cache.get(sha256)!;
    const row = this.stmt.bySigned.get(sha256) as Row | undefined;
    const rec = row ? fromRow(row) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(sha256, rec);
    return rec;
  }

  /** The approved (unsigned) digest a signed image was made from, or null when Forge did not sign it. */
  approvedFor(sha256: string): string | null {
    return this.bySigned(sha256)?.unsignedSha256 ?? null;
  }

  /** An earlier signing of this approved image for this device, by exactly these keys (in this order). */
  find(unsignedSha256: string, deviceId: string, keyDigests: readonly string[]): SignedImageRecord | null {
    const rows = this.stmt.forUnsigned.all(unsignedSha256, deviceId) as Row[];
    const want = JSON.stringify(keyDigests);
    const row = rows.find((r) => r.key_digests === want);
    return row ? fromRow(row) : null;
  }
}
