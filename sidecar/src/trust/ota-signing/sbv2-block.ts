// The Secure Boot V2 RSA-3072 signature block, as an ESP32 running ESPHome's signed OTA reads it
// (docs/signed-ota.md has the whole picture). One block is 1216 bytes:
//
//   offset  size  field
//        0     1  magic 0xE7
//        1     1  version 0x02 (RSA-3072 + PSS)
//        2     2  zero
//        4    32  SHA-256 of the signed (4 KiB-padded) image
//       36   384  modulus n, little-endian
//      420     4  public exponent e, u32 little-endian
//      424   384  R⁻¹ = 2^6144 mod n, little-endian (a Montgomery constant for the ROM's RSA unit)
//      808     4  M' = −n⁻¹ mod 2^32, u32 little-endian (the same)
//      812   384  RSA-PSS signature, little-endian
//     1196     4  CRC-32 (the zlib polynomial) over bytes 0..1195, little-endian
//     1200    16  zero
//
// Bytes 36..811 (n, e, R⁻¹, M') are the "key region": its SHA-256 is the key digest that ESPHome's
// `verification_keys` lists, that the device compares against, and that `espsecure
// digest-sbv2-public-key` prints. Everything here is pure and synchronous.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { crc32 } from "node:zlib";

export const SIG_BLOCK_MAGIC = 0xe7;
export const SIG_BLOCK_VERSION_RSA = 0x02;
export const SIG_BLOCK_SIZE = 1216;
export const SIG_SECTOR_SIZE = 4096;
export const SIG_BLOCK_MAX = 3;
export const RSA_BYTES = 384;

const OFF_DIGEST = 4;
const OFF_KEY = 36;
const KEY_REGION_LEN = 776;
const OFF_EXPONENT = 420;
const OFF_RINV = 424;
const OFF_MPRIME = 808;
const OFF_SIGNATURE = 812;
const OFF_CRC = 1196;

/** An RSA-3072 public key as the signature block carries it. */
export interface Sbv2PublicKey {
  publicKey: KeyObject;
  /** The 776-byte key region (n, e, R⁻¹, M'). */
  region: Buffer;
  /** SHA-256 of the key region, lower-case hex: the digest devices trust. */
  digest: string;
}

const bigFrom = (b: Buffer): bigint => (b.length ? BigInt(`0x${b.toString("hex")}`) : 0n);

function bigTo(n: bigint, len: number): Buffer {
  const hex = n.toString(16).padStart(len * 2, "0");
  if (hex.length > len * 2) throw new Error(`number does not fit in ${len} bytes`);
  return Buffer.from(hex, "hex");
}

/** `n` as `len` bytes, least significant first. */
const littleEndian = (n: bigint, len: number): Buffer => bigTo(n, len).reverse();

/** The inverse of an odd `n` modulo 2^32 (Newton's iteration doubles the correct bits each step). */
function inverseMod2to32(n: bigint): bigint {
  const mask = 0xffffffffn;
  let x = 1n;
  for (let i = 0; i < 5; i++) x = (x * (2n - ((n * x) & mask))) & mask;
  return x;
}

/** Checks `publicKey` is RSA-3072 with a 32-bit exponent and lays out its key region. */
export function sbv2PublicKey(publicKey: KeyObject): Sbv2PublicKey {
  const key = publicKey.type === "private" ? createPublicKey(publicKey) : publicKey;
  if (key.asymmetricKeyType !== "rsa" || key.asymmetricKeyDetails?.modulusLength !== 3072) {
    throw new Error(
      `signed OTA (rsa3072) needs an RSA-3072 key, got ${key.asymmetricKeyType ?? "unknown"}` +
        (key.asymmetricKeyDetails?.modulusLength ? ` ${key.asymmetricKeyDetails.modulusLength}` : ""),
    );
  }
  const jwk = key.export({ format: "jwk" });
  const n = bigFrom(Buffer.from(jwk.n!, "base64url"));
  const e = bigFrom(Buffer.from(jwk.e!, "base64url"));
  if (e > 0xffffffffn) throw new Error("the RSA public exponent does not fit the signature block's 32 bits");
  const rinv = (1n << 6144n) % n;
  const mPrime = (0x100000000n - inverseMod2to32(n)) & 0xffffffffn;
  const region = Buffer.alloc(KEY_REGION_LEN);
  littleEndian(n, RSA_BYTES).copy(region, 0);
  region.writeUInt32LE(Number(e), OFF_EXPONENT - OFF_KEY);
  littleEndian(rinv, RSA_BYTES).copy(region, OFF_RINV - OFF_KEY);
  region.writeUInt32LE(Number(mPrime), OFF_MPRIME - OFF_KEY);
  return { publicKey: key, region, digest: createHash("sha256").update(region).digest("hex") };
}

/** One block: the image digest, the signer's key and its big-endian RSA-PSS signature over that digest. */
export function encodeBlock(imageDigest: Buffer, key: Sbv2PublicKey, signature: Buffer): Buffer {
  if (imageDigest.length !== 32) throw new Error("the image digest must be 32 bytes (SHA-256)");
  if (signature.length !== RSA_BYTES) throw new Error(`an RSA-3072 signature is ${RSA_BYTES} bytes`);
  const block = Buffer.alloc(SIG_BLOCK_SIZE); // the zero bytes 2..3 and 1200..1215 stay zero
  block[0] = SIG_BLOCK_MAGIC;
  block[1] = SIG_BLOCK_VERSION_RSA;
  imageDigest.copy(block, OFF_DIGEST);
  key.region.copy(block, OFF_KEY);
  Buffer.from(signature).reverse().copy(block, OFF_SIGNATURE);
  block.writeUInt32LE(crc32(block.subarray(0, OFF_CRC)), OFF_CRC);
  return block;
}

export interface DecodedBlock {
  /** Magic, version and CRC check out: what the device calls a present block. */
  valid: boolean;
  /** Why a block is not valid ("absent" when the bytes are erased flash or zeros). */
  problem: "absent" | "bad_magic" | "not_rsa" | "bad_crc" | null;
  /** The image digest the block claims (the device ignores it and hashes the image itself). */
  imageDigest: Buffer;
  /** SHA-256 of the key region, hex. */
  keyDigest: string;
  /** The modulus and exponent, big-endian, for building the public key. */
  modulus: Buffer;
  exponent: number;
  /** The signature, big-endian. */
  signature: Buffer;
}

/** Reads one 1216-byte block; never throws on garbage, it reports it. */
export function decodeBlock(block: Buffer): DecodedBlock {
  if (block.length !== SIG_BLOCK_SIZE) throw new Error(`a signature block is ${SIG_BLOCK_SIZE} bytes`);
  const erased = block.every((b) => b === 0xff) || block.every((b) => b === 0);
  let problem: DecodedBlock["problem"] = null;
  if (erased) problem = "absent";
  else if (block[0] !== SIG_BLOCK_MAGIC) problem = "bad_magic";
  else if (block[1] !== SIG_BLOCK_VERSION_RSA) problem = "not_rsa";
  else if (crc32(block.subarray(0, OFF_CRC)) !== block.readUInt32LE(OFF_CRC)) problem = "bad_crc";
  return {
    valid: problem === null,
    problem,
    imageDigest: Buffer.from(block.subarray(OFF_DIGEST, OFF_DIGEST + 32)),
    keyDigest: createHash("sha256")
      .update(block.subarray(OFF_KEY, OFF_KEY + KEY_REGION_LEN))
      .digest("hex"),
    modulus: Buffer.from(block.subarray(OFF_KEY, OFF_KEY + RSA_BYTES)).reverse(),
    exponent: block.readUInt32LE(OFF_EXPONENT),
    signature: Buffer.from(block.subarray(OFF_SIGNATURE, OFF_SIGNATURE + RSA_BYTES)).reverse(),
  };
}

/** The RSA public key a decoded block carries. */
export function blockPublicKey(b: DecodedBlock): KeyObject {
  const e = Buffer.alloc(4);
  e.writeUInt32BE(b.exponent);
  let i = 0;
  while (i < 3 && e[i] === 0) i++;
  return createPublicKey({
    key: { kty: "RSA", n: b.modulus.toString("base64url"), e: e.subarray(i).toString("base64url") },
    format: "jwk",
  });
}

/** `length` rounded up to a whole 4 KiB sector. */
export const sectorAlign = (length: number): number => Math.ceil(length / SIG_SECTOR_SIZE) * SIG_SECTOR_SIZE;
