// The acceptance check of an ESP32 running ESPHome firmware built with `signed_ota_verification`
// (rsa3072, `verification_keys`) and optionally `enable_ota_downgrade_protection`, for the fake OTA
// receiver. Written from ESPHome 2026.10's device code (ota_backend_esp_idf.cpp,
// ota_signature_esp_idf.cpp) and ESP-IDF's image format, independently of Forge's own signing library,
// so a test through it checks that library instead of agreeing with itself. After the last byte:
//   1. the image must be intact (segments, checksum byte, appended SHA-256), else 0x8D;
//   2. the signature sector starts at the image length rounded up to 4 KiB, in a partition whose unwritten
//      flash reads 0xFF; up to three 1216-byte blocks are read (magic E7, version 02, CRC-32);
//   3. a block counts if SHA-256 of its key fields (bytes 36..811) is a trusted digest and its RSA-PSS
//      signature (any salt) verifies over SHA-256 of everything before the sector; none: 0x8D;
//   4. with downgrade protection, the app description's version (32 bytes at offset 48 of the image)
//      must not be older than the running one, else 0x93.
import { constants, createHash, createPublicKey, verify } from "node:crypto";
import { crc32 } from "node:zlib";

export interface FakeDeviceOptions {
  /** The key digests compiled into the running firmware. */
  trustedKeyDigests: string[];
  /** The running project version when downgrade protection is on. */
  runningVersion?: string | null;
  /** OTA partition size (default 0x1E0000, as in ESPHome's default partition table). */
  partitionSize?: number;
}

export const OTA_SIGNATURE_INVALID = 0x8d;
export const OTA_VERSION_DOWNGRADE = 0x93;

export interface FakeDeviceVerdict {
  error: number | null;
  detail: string;
  version: string | null;
}

/** Image length per ESP-IDF's image metadata, or null when the image is not intact. */
function intactImageLength(p: Buffer): number | null {
  if (p[0] !== 0xe9) return null;
  let off = 24;
  let sum = 0xef;
  for (let s = 0; s < p[1]!; s++) {
    const len = p.readUInt32LE(off + 4);
    if (off + 8 + len > p.length) return null;
    for (let i = off + 8; i < off + 8 + len; i++) sum ^= p[i]!;
    off += 8 + len;
  }
  while (off % 16 !== 15) off++;
  if (p[off] !== sum) return null;
  off++;
  if (p[23] === 1) {
    const h = createHash("sha256").update(p.subarray(0, off)).digest();
    if (!h.equals(p.subarray(off, off + 32))) return null;
    off += 32;
  }
  return off;
}

function olderThan(candidate: string, running: string): boolean {
  const a = candidate.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const b = running.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

export function fakeDeviceCheck(received: Buffer, o: FakeDeviceOptions): FakeDeviceVerdict {
  const size = o.partitionSize ?? 0x1e0000;
  if (received.length > size) return { error: 0x89, detail: "image larger than the OTA partition", version: null };
  const partition = Buffer.alloc(size, 0xff); // erased flash, then what was written
  received.copy(partition);
  const imageLen = intactImageLength(partition);
  if (imageLen === null) return { error: OTA_SIGNATURE_INVALID, detail: "image validation failed", version: null };
  const desc = partition.readUInt32LE(32) === 0xabcd5432 ? partition.subarray(48, 80) : null;
  const version = desc ? desc.subarray(0, Math.max(0, desc.indexOf(0))).toString("latin1") : null;
  const sector = Math.ceil(imageLen / 4096) * 4096;
  if (sector + 1216 > size) return { error: OTA_SIGNATURE_INVALID, detail: "no room for a signature sector", version };
  const signedPart = partition.subarray(0, sector);
  const trusted = new Set(o.trustedKeyDigests.map((d) => d.toLowerCase()));
  let anyBlock = false;
  for (let i = 0; i < 3; i++) {
    const at = sector + i * 1216;
    if (at + 1216 > size) break;
    const blk = partition.subarray(at, at + 1216);
    if (blk[0] !== 0xe7 || blk[1] !== 0x02 || crc32(blk.subarray(0, 1196)) !== blk.readUInt32LE(1196)) continue;
    anyBlock = true;
    const keyDigest = createHash("sha256").update(blk.subarray(36, 812)).digest("hex");
    if (!trusted.has(keyDigest)) continue;
    const n = Buffer.from(blk.subarray(36, 420)).reverse();
    const e = Buffer.alloc(4);
    e.writeUInt32BE(blk.readUInt32LE(420));
    const key = createPublicKey({
      key: { kty: "RSA", n: n.toString("base64url"), e: e.subarray(e.findIndex((x) => x !== 0)).toString("base64url") },
      format: "jwk",
    });
    const sig = Buffer.from(blk.subarray(812, 1196)).reverse();
    const ok = verify(
      "sha256",
      signedPart,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
      sig,
    );
    if (!ok) continue;
    if (o.runningVersion != null && version != null && olderThan(version, o.runningVersion))
      return { error: OTA_VERSION_DOWNGRADE, detail: `downgrade ${version} < ${o.runningVersion}`, version };
    return { error: null, detail: `verified by block ${i} (key ${keyDigest.slice(0, 16)})`, version };
  }
  return {
    error: OTA_SIGNATURE_INVALID,
    detail: anyBlock ? "no trusted key produced a valid signature" : "image has no signature block",
    version,
  };
}
