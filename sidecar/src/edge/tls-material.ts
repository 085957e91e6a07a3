// The sidecar's TLS key and certificate. By default its own: a P-256 key and a self-signed
// certificate kept with the other keys (`<data>/trust/keys/tls.key`, `tls.crt`, 0600), which workers
// and Home Assistant pin by the key's SHA-256 fingerprint — no CA. Or the user's own certificate
// (`--tls-cert`/`--tls-key`, e.g. one a CA issued for a public name), which clients verify normally.
// Rotation (self-signed only) makes a new key; the caller tells connected workers the new fingerprint
// before the switch.
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { keyFingerprint, readPrivateKeyPem, writePrivateKeyPem } from "../trust/keys/keys.js";
import { selfSignedCertificate } from "./self-signed-cert.js";

export interface TlsMaterial {
  mode: "self-signed" | "provided";
  keyPem: string;
  certPem: string;
  /** SHA-256 of the certificate key's SPKI, hex. */
  fingerprint: string;
  notAfter: string;
}

export interface TlsFiles {
  keysDir: string;
  /** The user's own certificate chain and key (PEM files); both or neither. */
  certFile?: string | null;
  keyFile?: string | null;
}

export function tlsKeyPath(keysDir: string): string {
  return join(keysDir, "tls.key");
}
export function tlsCertPath(keysDir: string): string {
  return join(keysDir, "tls.crt");
}

/** Loads the TLS material, creating the self-signed key and certificate on first use. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  if (files.certFile || files.keyFile) {
    if (!files.certFile || !files.keyFile) throw new Error("--tls-cert and --tls-key go together");
    const certPem = readFileSync(files.certFile, "utf8");
    const key = readPrivateKeyPem(files.keyFile);
    return describe("provided", key, certPem);
  }
  const keyFile = tlsKeyPath(files.keysDir);
  const certFile = tlsCertPath(files.keysDir);
  if (!existsSync(keyFile)) return rotateTlsMaterial(files.keysDir);
  const key = readPrivateKeyPem(keyFile);
  let certPem = existsSync(certFile) ? readFileSync(certFile, "utf8") : null;
  // A certificate that is missing or belongs to another key (a crash between the two writes of a
  // rotation) is made again for the key: the key is what clients pin.
  if (!certPem || !matches(certPem, key)) {
    certPem = certificateFor(key);
    writePrivateFile(certFile, certPem);
  }
  return describe("self-signed", key, certPem);
}

/** A new self-signed key and certificate (the key file first: it is what the fingerprint names). */
export function rotateTlsMaterial(keysDir: string): TlsMaterial {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const certPem = certificateFor(privateKey);
  writePrivateKeyPem(tlsKeyPath(keysDir), privateKey);
  writePrivateFile(tlsCertPath(keysDir), certPem);
  return describe("self-signed", privateKey, certPem);
}

function certificateFor(privateKey: KeyObject): string {
  const name = hostname() || "esphome-forge";
  return selfSignedCertificate({
    privateKey,
    publicKey: createPublicKey(privateKey),
    commonName: name,
    altNames: ["localhost", "127.0.0.1", "::1"],
  });
}

function describe(mode: TlsMaterial["mode"], key: KeyObject, certPem: string): TlsMaterial {
  const cert = new X509Certificate(certPem);
  if (!cert.publicKey.equals(createPublicKey(key)))
    throw new Error("the TLS certificate does not belong to the TLS key (--tls-cert / --tls-key)");
  return {
    mode,
    keyPem: key.export({ type: "pkcs8", format: "pem" }) as string,
    certPem,
    fingerprint: keyFingerprint(cert.publicKey),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

function matches(certPem: string, key: KeyObject): boolean {
  try {
    return new X509Certificate(certPem).publicKey.equals(createPublicKey(key));
  } catch {
    return false;
  }
}

function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Reads a key file in PKCS#8 PEM (tests and tools that need the sidecar's TLS key). */
export function readTlsKey(keysDir: string): KeyObject {
  return createPrivateKey(readFileSync(tlsKeyPath(keysDir)));
}
