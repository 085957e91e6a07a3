// P-256 signing keys: generation, the cosign-style key hint, and private key files kept at 0600.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { sha256 } from "../encoding.js";

export interface SigningKey {
  /** The private key when it is a file here; null when an external signer holds it (`sign`). */
  privateKey: KeyObject | null;
  /** Signs outside this process (external-signer.ts); ECDSA P-256 over SHA-256, DER. */
  sign?: (data: Uint8Array) => Buffer;
  publicKey: KeyObject;
  /** SPKI PEM, what the Sigstore bundle's signer reports and what verifiers pin. */
  publicPem: string;
  /** base64(sha256(SPKI DER)) — the hint cosign and sigstore-go put in key-based bundles. */
  hint: string;
}

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}

export function keyHint(publicKey: KeyObject): string {
  return sha256(spkiDer(publicKey)).toString("base64");
}

/**
 * SHA-256 of the SPKI DER as lowercase hex: the fingerprint people compare — a worker's key in the
 * dashboard, the sidecar's TLS key in a join link. The same bytes as the hint, written for reading.
 */
export function keyFingerprint(publicKey: KeyObject): string {
  return sha256(spkiDer(publicKey)).toString("hex");
}

/** A fingerprint shown to people: groups of four hex digits. */
export function formatFingerprint(fingerprint: string): string {
  return fingerprint.replace(/(.{4})(?!$)/g, "$1 ");
}

/** Log id as Rekor defines it: sha256 of the log key's SPKI DER (raw bytes). */
export function keyId(publicKey: KeyObject): Buffer {
  return sha256(spkiDer(publicKey));
}

export function publicKeyFromPem(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  assertP256(key);
  return key;
}

function assertP256(key: KeyObject): void {
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error(
      `expected an ECDSA P-256 key, got ${key.asymmetricKeyType ?? "unknown"} ${key.asymmetricKeyDetails?.namedCurve ?? ""}`.trim(),
    );
  }
}

export function toSigningKey(privateKey: KeyObject): SigningKey {
  assertP256(privateKey);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    hint: keyHint(publicKey),
  };
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return toSigningKey(privateKey);
}

/** ECDSA P-256 over SHA-256, DER-encoded: the signature form Sigstore bundles and Rekor use. */
export function signBytes(key: SigningKey, data: Uint8Array): Buffer {
  if (key.sign) return key.sign(data);
  if (!key.privateKey) throw new Error(`no private key or signer for key ${key.hint}`);
  return sign("sha256", data, key.privateKey);
}

/**
 * Writes a private key PKCS#8 PEM readable by the owner only. Written to a temp file created 0600 and
 * renamed into place, so the key is never visible with wider permissions and a crash leaves no half file.
 * Any key type: the P-256 trust keys and the RSA-3072 device signing keys share it.
 */
export function writePrivateKeyPem(path: string, privateKey: KeyObject): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  chmodSync(tmp, 0o600); // in case a umask or filesystem ignored the create mode
  renameSync(tmp, path);
}

export function writePrivateKeyFile(path: string, key: SigningKey): void {
  if (!key.privateKey) throw new Error("an externally held key has no private key to write");
  writePrivateKeyPem(path, key.privateKey);
}

export class KeyFilePermissionError extends Error {}

/** Loads a private key file of any type, refusing one that group or others can read (like ssh does). */
export function readPrivateKeyPem(path: string): KeyObject {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new KeyFilePermissionError(
      `key file ${path} is accessible by others (mode ${mode.toString(8)}); run chmod 600 on it`,
    );
  }
  return createPrivateKey(readFileSync(path));
}

/** Loads a P-256 private key file (owner-only, see readPrivateKeyPem). */
export function readPrivateKeyFile(path: string): SigningKey {
  return toSigningKey(readPrivateKeyPem(path));
}

/** The worker's and sidecar's start-up call: the key at `path`, created on first use. */
export function loadOrCreateKey(path: string): { key: SigningKey; created: boolean } {
  try {
    return { key: readPrivateKeyFile(path), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = generateSigningKey();
  writePrivateKeyFile(path, key);
  return { key, created: true };
}

export function readPublicKeyFile(path: string): KeyObject {
  return publicKeyFromPem(readFileSync(path));
}
