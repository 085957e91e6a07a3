// RSA-PSS signing of a SHA-256 digest that was computed elsewhere. Signature blocks sign the digest of
// the padded image, and a hardware token or KMS signs digests, not megabytes of firmware — but Node's
// crypto.sign always hashes its input itself. So the PSS encoding (RFC 8017 §9.1.1: SHA-256, MGF1 with
// SHA-256, a 32-byte random salt, as espsecure signs) is done here and the private-key operation is
// the raw one (privateEncrypt without padding). Verification never uses this module: it goes through
// OpenSSL's own PSS verifier (crypto.verify), and espsecure checks the result in the interop tests.
import { constants, createHash, privateEncrypt, randomBytes, type KeyObject } from "node:crypto";

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
