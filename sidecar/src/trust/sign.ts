// Signing with @sigstore/sign primitives and a local P-256 key: DSSE statements (Sigstore bundle v0.3,
// key hint in verificationMaterial.publicKey) and cosign-style message signatures. Witnesses (our own
// log) are optional, so a worker can sign with no log in reach and the sidecar adds the entry later.
import { bundleToJSON, toMessageSignatureBundle, type BundleWithDsseEnvelope, type SerializedBundle } from "@sigstore/bundle";
import { DSSEBundleBuilder, type Artifact, type Signature, type Signer, type Witness } from "@sigstore/sign";
import { sha256 } from "./encoding.js";
import { signBytes, type SigningKey } from "./keys.js";
import { IN_TOTO_PAYLOAD_TYPE, statementBytes, type Statement } from "./statements.js";

export function keySigner(key: SigningKey): Signer {
  return {
    sign: async (data: Buffer) => ({
      signature: signBytes(key, data),
      key: { $case: "publicKey", publicKey: key.publicPem, hint: key.hint },
    }),
  };
}

/**
 * DSSE bundles with an empty envelope `keyid`, as cosign writes them: the key hint already sits in
 * verificationMaterial, and sigstore-go (cosign) skips any signature whose keyid is not its own SSH-style
 * fingerprint of the key, so a hint there makes our bundles unverifiable by cosign.
 */
class ForgeDsseBundleBuilder extends DSSEBundleBuilder {
  protected override async package(artifact: Artifact, signature: Signature): Promise<BundleWithDsseEnvelope> {
    const bundle = await super.package(artifact, signature);
    for (const s of bundle.content.dsseEnvelope.signatures) s.keyid = "";
    return bundle;
  }
}

export async function signDsse(payload: Buffer, payloadType: string, key: SigningKey, witnesses: Witness[] = []): Promise<SerializedBundle> {
  const bundle = await new ForgeDsseBundleBuilder({ signer: keySigner(key), witnesses }).create({ data: payload, type: payloadType });
  return bundleToJSON(bundle);
}

export function signStatement(statement: Statement, key: SigningKey, witnesses: Witness[] = []): Promise<SerializedBundle> {
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
