// Makes our SQLite log a Sigstore witness: each signature is appended as a Rekor v1 body (dsse 0.0.1 or
// hashedrekord 0.0.1) and the bundle gets a tlog entry with a signed entry timestamp (SET) and an
// inclusion proof + signed checkpoint. @sigstore/verify (and sigstore-go) then check it natively,
// given a trusted root that lists our log key — no Rekor, no network.
import {
  bundleFromJSON,
  bundleToJSON,
  envelopeToJSON,
  type Bundle,
  type SerializedBundle,
  type TransparencyLogEntry,
} from "@sigstore/bundle";
import type { SignatureBundle, VerificationMaterial, Witness } from "@sigstore/sign";
import { canonicalJson, sha256Hex } from "../encoding.js";
import { signBytes } from "../keys/keys.js";
import type { LogEntry, LogEntryKind, TransparencyLog } from "./log-store.js";

/** The Rekor v1 body for a signature: what the leaf hashes and verifiers compare to the bundle. */
export function rekorBody(
  content: SignatureBundle,
  publicKeyPem: string,
): { kind: string; version: string; body: Buffer } {
  const verifier = Buffer.from(publicKeyPem, "utf8").toString("base64");
  if (content.$case === "dsseEnvelope") {
    const env = content.dsseEnvelope;
    const sig = env.signatures[0];
    if (!sig || env.signatures.length !== 1)
      throw new Error("a DSSE envelope for the log must carry exactly one signature");
    const body = {
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: sha256Hex(canonicalJson(envelopeToJSON(env))) },
        payloadHash: { algorithm: "sha256", value: sha256Hex(env.payload) },
        signatures: [{ signature: sig.sig.toString("base64"), verifier }],
      },
    };
    return { kind: "dsse", version: "0.0.1", body: Buffer.from(canonicalJson(body), "utf8") };
  }
  const ms = content.messageSignature;
  if (!ms.messageDigest) throw new Error("message signature has no digest");
  const body = {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: ms.messageDigest.digest.toString("hex") } },
      signature: { content: ms.signature.toString("base64"), publicKey: { content: verifier } },
    },
  };
  return { kind: "hashedrekord", version: "0.0.1", body: Buffer.from(canonicalJson(body), "utf8") };
}

/** Rekor's SET: the log key's signature over the canonical {body, integratedTime, logIndex, logID}. */
function signedEntryTimestamp(log: TransparencyLog, entry: LogEntry): Buffer {
  const payload = canonicalJson({
    body: entry.body.toString("base64"),
    integratedTime: entry.integratedTime,
    logIndex: entry.index,
    logID: log.logId.toString("hex"),
  });
  return signBytes(log.identity.key, Buffer.from(payload, "utf8"));
}

/** Appends the signature to the log and returns the bundle's tlog entry for it. */
export function witnessSignature(
  log: TransparencyLog,
  kind: LogEntryKind,
  content: SignatureBundle,
  publicKeyPem: string,
): TransparencyLogEntry {
  const rekor = rekorBody(content, publicKeyPem);
  const entry = log.append(kind, rekor.body);
  return tlogEntryFor(log, entry, rekor);
}

function kindVersionOf(body: Buffer): { kind: string; version: string } {
  const parsed = JSON.parse(body.toString("utf8")) as { kind?: unknown; apiVersion?: unknown };
  if (typeof parsed.kind !== "string" || typeof parsed.apiVersion !== "string")
    throw new Error("log entry is not a Rekor body");
  return { kind: parsed.kind, version: parsed.apiVersion };
}

/** A bundle tlog entry for an existing leaf: fresh inclusion proof against the current checkpoint. */
export function tlogEntryFor(
  log: TransparencyLog,
  entry: LogEntry,
  kv?: { kind: string; version: string },
): TransparencyLogEntry {
  const { kind, version } = kv ?? kindVersionOf(entry.body);
  const checkpoint = log.checkpoint();
  const proof = log.inclusionProof(entry.index, checkpoint.treeSize);
  return {
    logIndex: String(entry.index),
    logId: { keyId: log.logId },
    kindVersion: { kind, version },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: { signedEntryTimestamp: signedEntryTimestamp(log, entry) },
    inclusionProof: {
      logIndex: String(entry.index),
      rootHash: proof.rootHash,
      treeSize: String(proof.treeSize),
      hashes: proof.hashes,
      checkpoint: { envelope: checkpoint.envelope },
    },
    canonicalizedBody: entry.body,
  };
}

/** A `Witness` for @sigstore/sign's bundle builders: sign and log in one step. */
export function logWitness(log: TransparencyLog, kind: LogEntryKind): Witness {
  return {
    testify: async (content: SignatureBundle, publicKey: string): Promise<VerificationMaterial> => ({
      tlogEntries: [witnessSignature(log, kind, content, publicKey)],
    }),
  };
}

/** Logs a bundle someone else signed (a worker's) and returns it with the tlog entry added. */
export function witnessBundle(
  log: TransparencyLog,
  kind: LogEntryKind,
  bundleJson: SerializedBundle,
  publicKeyPem: string,
): { bundle: SerializedBundle; logIndex: number } {
  const bundle: Bundle = bundleFromJSON(bundleJson);
  const entry = witnessSignature(log, kind, bundle.content, publicKeyPem);
  bundle.verificationMaterial.tlogEntries = [...bundle.verificationMaterial.tlogEntries, entry];
  return { bundle: bundleToJSON(bundle), logIndex: Number(entry.logIndex) };
}
