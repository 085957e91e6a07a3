// Signing with a local P-256 key: DSSE statements (Sigstore bundle v0.3, key hint in
// verificationMaterial.publicKey) and cosign-style message signatures. Witnesses (our own log) are
// optional, so a worker can sign with no log in reach and the sidecar adds the entry later.
// The bundle is assembled with @sigstore/bundle and @sigstore/core (DSSE pre-authentication
// encoding) rather than @sigstore/sign's builders: those load the Fulcio/Rekor/TSA network clients,
// about 30 MB of resident memory we never use — signing here is offline by design.
import { bundleToJSON, toDSSEBundle, toMessageSignatureBundle, type SerializedBundle } from "@sigstore/bundle";
import { dsse } from "@sigstore/core";
import type { Witness } from "@sigstore/sign";
import { sha256 } from "../encoding.js";
import { signBytes, type SigningKey } from "./keys.js";
import { IN_TOTO_PAYLOAD_TYPE, statementBytes, type Statement } from "../attest/statements.js";

/**
 * DSSE bundles with an empty envelope `keyid`, as cosign writes them: the key hint already sits in
 * verificationMaterial, and sigstore-go (cosign) skips any signature whose keyid is not its own SSH-style
 * fingerprint of the key, so a hint there makes our bundles unverifiable by cosign. Each witness
 * (our transparency log) then adds its tlog entries, as Sigstore's bundle builders do.
 */
export async function signDsse(
  payload: Buffer,
  payloadType: string,
  key: SigningKey,
  witnesses: Witness[] = [],
): Promise<SerializedBundle> {
  const signature = signBytes(key, dsse.preAuthEncoding(payloadType, payload));
  const bundle = toDSSEBundle({
    artifact: payload,
    artifactType: payloadType,
    signature,
    keyHint: key.hint,
    certificateChain: false,
  });
  for (const s of bundle.content.dsseEnvelope.signatures) s.keyid = "";
  const materials = await Promise.all(witnesses.map((w) => w.testify(bundle.content, key.publicPem)));
  bundle.verificationMaterial.tlogEntries = materials.flatMap((m) => m.tlogEntries ?? []);
  bundle.verificationMaterial.timestampVerificationData = {
    rfc3161Timestamps: materials.flatMap((m) => m.rfc3161Timestamps ?? []),
  };
  return bundleToJSON(bundle);
}

export function signStatement(
  statement: Statement,
  key: SigningKey,
  witnesses: Witness[] = [],
): Promise<SerializedBundle> {
  return signDsse(statementBytes(statement), IN_TOTO_PAYLOAD_TYPE, key, witnesses);
}

/**
 * A message-signature bundle over raw bytes, the shape `cosign sign-blob --key … --new-bundle-format`
 * writes (v0.3 media type; the stock MessageSignatureBundleBuilder still writes v0.2).
 */
export function signBlob(data: Uint8Array, key: SigningKey): SerializedBundle {
  const bundle = toMessageSignatureBundle({
    digest: sha256(data),
    signature: signBytes(key, data),
    keyHint: key.hint,
    certificateChain: false,
  });
  return bundleToJSON(bundle);
}
