// RSA-PSS over a SHA-256 digest that was computed elsewhere. Signature blocks sign the digest of the
// padded image, and a hardware token or KMS signs digests, not megabytes of firmware — but Node's
// crypto.sign and crypto.verify always hash their input themselves (re-hashing 2 MB per key). So the PSS
// encoding and its check (RFC 8017 §9.1.1 and §9.1.2: SHA-256, MGF1 with SHA-256; Forge signs with a
// 32-byte random salt as espsecure does, and accepts any salt length as the device does) are done here,
// around the raw RSA operations (privateEncrypt / publicDecrypt without padding). The tests hold both
// against OpenSSL's own PSS (crypto.sign / crypto.verify); espsecure and the fake device check whole images.
import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, type KeyObject } from "node:crypto";

export const PSS_SALT_LENGTH = 32;
const HASH_LENGTH = 32;

/** MGF1 with SHA-256 (RFC 8017 §B.2.1). */
function mgf1(seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0, have = 0; have < length; i++, have += HASH_LENGTH) {
    counter.writeUInt32BE(i);
    out.push(createHash("sha256").update(seed).update(counter).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

/** EMSA-PSS-ENCODE of a SHA-256 digest for a modulus of `modulusBits` bits. */
export function emsaPssEncode(
  digest: Buffer,
  modulusBits: number,
  salt: Buffer = randomBytes(PSS_SALT_LENGTH),
): Buffer {
  if (digest.length !== HASH_LENGTH) throw new Error("RSA-PSS here signs a 32-byte SHA-256 digest");
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < HASH_LENGTH + salt.length + 2) throw new Error("the RSA key is too small for PSS with SHA-256");
  const h = createHash("sha256").update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.alloc(emLen - HASH_LENGTH - 1); // PS (zeros) ‖ 0x01 ‖ salt
  db[db.length - salt.length - 1] = 0x01;
  salt.copy(db, db.length - salt.length);
  const mask = mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits); // the bits above emBits are zero
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** The big-endian RSA-PSS signature of `digest` with `privateKey` (RSA, any size). */
export function signDigestPss(privateKey: KeyObject, digest: Buffer): Buffer {
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (privateKey.asymmetricKeyType !== "rsa" || !bits) throw new Error("RSA-PSS needs an RSA private key");
  const em = emsaPssEncode(digest, bits);
  // emBits = modulusBits − 1 leaves the top bit clear, so EM (left-padded to the modulus length) is below n.
  const padded = Buffer.concat([Buffer.alloc(Math.ceil(bits / 8) - em.length), em]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, padded);
}

/** EMSA-PSS-VERIFY of `signature` over the SHA-256 `digest` with `publicKey` (RSA), any salt length. */
export function verifyDigestPss(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const bits = publicKey.asymmetricKeyDetails?.modulusLength;
  if (publicKey.asymmetricKeyType !== "rsa" || !bits || digest.length !== HASH_LENGTH) return false;
  const k = Math.ceil(bits / 8);
  if (signature.length !== k) return false;
  let m: Buffer;
  try {
    m = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature); // fails when s ≥ n
  } catch {
    return false;
  }
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (m.length !== k || m.subarray(0, k - emLen).some((b) => b !== 0)) return false;
  const em = m.subarray(k - emLen);
  if (emLen < HASH_LENGTH + 2 || em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - HASH_LENGTH - 1);
  const h = em.subarray(emLen - HASH_LENGTH - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((masked[0]! & ~topMask) !== 0) return false;
  const db = Buffer.from(masked);
  const mask = mgf1(Buffer.from(h), db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= topMask;
  const one = db.findIndex((b) => b !== 0); // PS is zeros, then 0x01, then the salt
  if (one < 0 || db[one] !== 0x01) return false;
  const salt = db.subarray(one + 1);
  const expected = createHash("sha256").update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return expected.equals(h);
}
