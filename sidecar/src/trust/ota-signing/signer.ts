// Who holds a device signing key. Signing needs only "sign this SHA-256 digest with RSA-PSS", so the
// private key can live anywhere that offers that: a file beside the other trust keys (the default, and
// the only kind today), or later a PKCS#11 token or an external command (issue 12) — each just another
// OtaSigner. The public half is always known here, so every signature is checked before it is used.
import { createPublicKey, type KeyObject } from "node:crypto";
import { readPrivateKeyPem } from "../keys/keys.js";
import { signDigestPss } from "./rsa-pss.js";
import { sbv2PublicKey, type Sbv2PublicKey } from "./sbv2-block.js";

export interface OtaSigner {
  /** The RSA-3072 public key and its SBv2 key digest. */
  readonly key: Sbv2PublicKey;
  /** Big-endian RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) signature over a 32-byte SHA-256 digest. */
  signDigest(digest: Buffer): Promise<Buffer>;
}

/** A signer whose private key is in this process (generated here, or read from a 0600 file). */
export class KeyObjectSigner implements OtaSigner {
  readonly key: Sbv2PublicKey;

  constructor(private readonly privateKey: KeyObject) {
    this.key = sbv2PublicKey(createPublicKey(privateKey));
  }

  signDigest(digest: Buffer): Promise<Buffer> {
    return Promise.resolve(signDigestPss(this.privateKey, digest));
  }
}

/** The file signer (0600, refused when others can read it); read when made, so a bad file fails early. */
export function fileSigner(path: string): OtaSigner {
  return new KeyObjectSigner(readPrivateKeyPem(path));
}
