// What an ESP32 with ESPHome's signed OTA (external rsa3072 signing with `verification_keys`) decides
// about an image, decided here before any byte is sent. The device's order:
//   1. IDF's image check (segments, checksum, appended SHA-256); a failure is reported as an invalid
//      signature (0x8D).
//   2. The signature sector sits at the image length rounded up to 4 KiB. Up to three 1216-byte blocks
//      are read from there; one with the wrong magic, version or CRC is skipped as absent.
//   3. For each present block: its key digest (SHA-256 of the key region) must be one the firmware was
//      built to trust — others are ignored, so blocks an attacker appends add nothing — and its RSA-PSS
//      signature must verify over the SHA-256 of the padded image (any salt length). The first block
//      that passes accepts the image. The digest stored in the block is not consulted.
//   4. With downgrade protection, an image whose project version is older than the running one is
//      refused (0x93); an image whose version cannot be read is let through, as the device does.
import { createHash } from "node:crypto";
import { appendedHashOk, EspImageError, parseEspAppImage } from "./esp-app-image.js";
import { verifyDigestPss } from "./rsa-pss.js";
import { blockPublicKey, decodeBlock, sectorAlign, SIG_BLOCK_MAX, SIG_BLOCK_SIZE } from "./sbv2-block.js";
import { versionIsOlder } from "./project-version.js";

export interface DeviceOtaPolicy {
  /** SBv2 key digests (64 hex) the device's running firmware trusts. */
  trustedKeyDigests: readonly string[];
  /** With downgrade protection on: the project version the device runs. */
  downgradeProtection?: { runningVersion: string } | null;
}

export type OtaRefusal =
  "not_an_app_image" | "image_invalid" | "unsigned" | "untrusted_key" | "bad_signature" | "downgrade";

export interface BlockReport {
  index: number;
  /** `verified` accepted the image (later blocks are not read); `untrusted`: a valid block of a key not in the list. */
  state: "absent" | "untrusted" | "bad_signature" | "verified";
  keyDigest: string | null;
  /** The block's stored image digest equals the real one (espsecure insists on it; the device does not look). */
  digestMatches: boolean | null;
}

export interface ImageCheck {
  ok: boolean;
  refusal: OtaRefusal | null;
  /** One line, for the job log and the API. */
  reason: string;
  /** The OTA error byte a device would answer with (0x8D invalid signature, 0x93 downgrade), if refused. */
  deviceError: number | null;
  blocks: BlockReport[];
  /** SHA-256 of the padded image, hex (null when the image could not be read). */
  imageDigest: string | null;
  projectVersion: string | null;
  /** The key digest of the block that verified. */
  verifiedBy: string | null;
}

const SIGNATURE_INVALID = 0x8d;
const VERSION_DOWNGRADE = 0x93;

function refuse(refusal: OtaRefusal, reason: string, rest: Partial<ImageCheck> = {}): ImageCheck {
  return {
    ok: false,
    refusal,
    reason,
    deviceError: refusal === "downgrade" ? VERSION_DOWNGRADE : SIGNATURE_INVALID,
    blocks: [],
    imageDigest: null,
    projectVersion: null,
    verifiedBy: null,
    ...rest,
  };
}

export function checkSignedImage(bytes: Buffer, policy: DeviceOtaPolicy): ImageCheck {
  let img;
  try {
    img = parseEspAppImage(bytes, { checkHash: false }); // checked in the one hashing pass below
  } catch (err) {
    if (err instanceof EspImageError) return refuse("not_an_app_image", `not an ESP32 app image: ${err.message}`);
    throw err;
  }
  const projectVersion = img.app?.version ?? null;
  const damaged = (what: string) =>
    refuse("image_invalid", `the image is damaged (${what} mismatch)`, { projectVersion });
  if (!img.checksumOk) return damaged("checksum");
  const sector = sectorAlign(img.imageLength);
  // What the device hashes: the bytes up to the sector (unwritten flash reads 0xFF).
  let padded = bytes.subarray(0, sector);
  if (padded.length < sector) padded = Buffer.concat([padded, Buffer.alloc(sector - padded.length, 0xff)]);
  const hashing = createHash("sha256").update(padded.subarray(0, img.hashedLength));
  if (img.hashAppended && !appendedHashOk(padded, img.hashedLength, hashing.copy().digest()))
    return damaged("appended SHA-256");
  const digest = hashing.update(padded.subarray(img.hashedLength)).digest();
  const trusted = new Set(policy.trustedKeyDigests.map((d) => d.toLowerCase()));
  const blocks: BlockReport[] = [];
  let verifiedBy: string | null = null;
  for (let i = 0; i < SIG_BLOCK_MAX && !verifiedBy; i++) {
    const at = sector + i * SIG_BLOCK_SIZE;
    if (at + SIG_BLOCK_SIZE > bytes.length) break; // nothing sent there: erased flash
    const b = decodeBlock(bytes.subarray(at, at + SIG_BLOCK_SIZE));
    if (!b.valid) {
      blocks.push({ index: i, state: "absent", keyDigest: null, digestMatches: null });
      continue;
    }
    const report: BlockReport = {
      index: i,
      state: "untrusted",
      keyDigest: b.keyDigest,
      digestMatches: b.imageDigest.equals(digest),
    };
    blocks.push(report);
    if (!trusted.has(b.keyDigest)) continue;
    let good = false;
    try {
      good = verifyDigestPss(blockPublicKey(b), digest, b.signature);
    } catch {
      good = false; // a malformed key in the block is a failed signature, not a crash
    }
    report.state = good ? "verified" : "bad_signature";
    if (good) verifiedBy = b.keyDigest;
  }
  const common = { blocks, imageDigest: digest.toString("hex"), projectVersion };
  if (!verifiedBy) {
    const present = blocks.filter((b) => b.state !== "absent");
    if (present.length === 0) return refuse("unsigned", "the image carries no signature block", common);
    if (present.some((b) => b.state === "bad_signature"))
      return refuse("bad_signature", "a block of a trusted key does not verify over this image", common);
    return refuse(
      "untrusted_key",
      `signed only by keys the device does not trust (${present.map((b) => b.keyDigest!.slice(0, 16)).join(", ")})`,
      common,
    );
  }
  const running = policy.downgradeProtection?.runningVersion;
  if (running != null && projectVersion != null && versionIsOlder(projectVersion, running))
    return refuse("downgrade", `project version ${projectVersion} is older than the running ${running}`, {
      ...common,
      verifiedBy,
    });
  return { ok: true, refusal: null, reason: `verified by key ${verifiedBy}`, deviceError: null, ...common, verifiedBy };
}
