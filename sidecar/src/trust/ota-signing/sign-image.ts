// Appends Secure Boot V2 signature blocks to an approved ESP32 app image, as `espsecure sign-data
// --version 2` would: the image is padded with 0xFF (erased flash) to a whole 4 KiB sector, the
// SHA-256 of the padded image is signed by each key (1–3, one block each, in order), and the
// signature sector — the blocks, then 0xFF up to 4 KiB — follows the padded image.
//
// Refused before signing: anything that is not an intact app image (a device would refuse it too),
// bytes after the image's own sector (the device looks for the blocks right after the image, so they
// would land in the wrong place — this is also how an already-signed image shows up), more than three
// keys or the same key twice. Every signature is verified with the key's public half before it is
// used, so a faulty external signer cannot produce an image the devices will refuse.
import { createHash } from "node:crypto";
import { appendedHashOk, EspImageError, parseEspAppImage } from "./esp-app-image.js";
import { verifyDigestPss } from "./rsa-pss.js";
import {
  decodeBlock,
  encodeBlock,
  RSA_BYTES,
  sectorAlign,
  SIG_BLOCK_MAX,
  SIG_BLOCK_SIZE,
  SIG_SECTOR_SIZE,
} from "./sbv2-block.js";
import type { OtaSigner } from "./signer.js";

export class OtaSigningError extends Error {}

export interface SignedImage {
  /** The padded image followed by its signature sector: what a device is flashed with. */
  bytes: Buffer;
  /** SHA-256 of the image as given (the bytes the gate approved), hex. */
  unsignedSha256: string;
  /** SHA-256 of `bytes`, hex. */
  signedSha256: string;
  /** SHA-256 of the padded image — the digest every block signs — hex. */
  imageDigest: string;
  /** Length of the padded image; the signature sector starts here. */
  signatureSectorOffset: number;
  /** The SBv2 key digest of each block's key, in block order. */
  keyDigests: string[];
  /** The project version in the image's app description (what downgrade protection compares), if any. */
  projectVersion: string | null;
}

export async function signImage(image: Buffer, signers: readonly OtaSigner[]): Promise<SignedImage> {
  if (signers.length === 0) throw new OtaSigningError("no active device signing key: create one first");
  if (signers.length > SIG_BLOCK_MAX)
    throw new OtaSigningError(`an image carries at most ${SIG_BLOCK_MAX} signature blocks, got ${signers.length} keys`);
  const digests = signers.map((s) => s.key.digest);
  if (new Set(digests).size !== digests.length) throw new OtaSigningError("the same key is listed twice");

  let parsed;
  try {
    parsed = parseEspAppImage(image, { checkHash: false }); // the appended hash is checked in the one pass below
  } catch (err) {
    if (err instanceof EspImageError) throw new OtaSigningError(`cannot sign: ${err.message}`);
    throw err;
  }
  const damaged = (what: string) => new OtaSigningError(`cannot sign: the image is damaged (${what} does not match)`);
  if (!parsed.checksumOk) throw damaged("checksum");
  const sectorOffset = sectorAlign(parsed.imageLength);
  if (image.length > sectorOffset) {
    const signed =
      image.length >= sectorOffset + SIG_BLOCK_SIZE &&
      decodeBlock(image.subarray(sectorOffset, sectorOffset + SIG_BLOCK_SIZE)).valid;
    throw new OtaSigningError(
      signed
        ? "cannot sign: the image already carries signature blocks (sign the unsigned image)"
        : `cannot sign: ${image.length - parsed.imageLength} bytes follow the ${parsed.imageLength}-byte image, past its 4 KiB sector`,
    );
  }

  // One buffer for the result: the image, 0xFF up to the sector, then the signature sector (0xFF-filled).
  const bytes = Buffer.allocUnsafe(sectorOffset + SIG_SECTOR_SIZE);
  image.copy(bytes);
  bytes.fill(0xff, image.length);
  const padded = bytes.subarray(0, sectorOffset);
  // One pass over the bytes for every digest: the image's appended hash, the image, the padded image, the signed image.
  const running = createHash("sha256").update(image.subarray(0, parsed.hashedLength));
  if (parsed.hashAppended && !appendedHashOk(image, parsed.hashedLength, running.copy().digest()))
    throw damaged("appended SHA-256");
  running.update(image.subarray(parsed.hashedLength));
  const unsignedSha256 = running.copy().digest("hex");
  running.update(padded.subarray(image.length));
  const digest = running.copy().digest();
  for (const [i, signer] of signers.entries()) {
    const signature = await signer.signDigest(digest);
    const ok = signature.length === RSA_BYTES && verifyDigestPss(signer.key.publicKey, digest, signature);
    if (!ok)
      throw new OtaSigningError(`the signer of key ${signer.key.digest} returned a signature that does not verify`);
    encodeBlock(digest, signer.key, signature).copy(bytes, sectorOffset + i * SIG_BLOCK_SIZE);
  }
  return {
    bytes,
    unsignedSha256,
    signedSha256: running.update(bytes.subarray(sectorOffset)).digest("hex"),
    imageDigest: digest.toString("hex"),
    signatureSectorOffset: sectorOffset,
    keyDigests: digests,
    projectVersion: parsed.app?.version ?? null,
  };
}
