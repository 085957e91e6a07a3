// Log checkpoints as C2SP signed notes (the format Rekor, sigstore-js and sigstore-go read):
//   "<origin>\n<size>\n<base64 root>\n" + "\n" + "— <key name> <base64(keyId[0:4] || ECDSA sig)>\n"
import { verify, type KeyObject } from "node:crypto";
import { keyId, signBytes, type SigningKey } from "../keys/keys.js";

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

export interface SignedCheckpoint extends Checkpoint {
  /** The full signed note, exactly as embedded in bundles and handed to clients. */
  envelope: string;
}

/** A log public key a verifier trusts: name as it appears on the signature line. */
export interface LogVerifierKey {
  name: string;
  publicKey: KeyObject;
}

const EM_DASH = "\u2014";

export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.treeSize}\n${c.rootHash.toString("base64")}\n`;
}

export function signCheckpoint(c: Checkpoint, keyName: string, key: SigningKey): SignedCheckpoint {
  if (/\s/.test(keyName) || /\n/.test(c.origin))
    throw new Error("checkpoint key names have no spaces and origins no newlines");
  const body = checkpointBody(c);
  const sig = Buffer.concat([keyId(key.publicKey).subarray(0, 4), signBytes(key, Buffer.from(body, "utf8"))]);
  return { ...c, envelope: `${body}\n${EM_DASH} ${keyName} ${sig.toString("base64")}\n` };
}

export type CheckpointResult =
  { ok: true; checkpoint: SignedCheckpoint; signedBy: string } | { ok: false; error: string };

/** Parses a signed note and checks that at least one signature comes from a trusted log key. */
export function verifyCheckpoint(envelope: string, keys: readonly LogVerifierKey[]): CheckpointResult {
  const split = envelope.indexOf("\n\n");
  if (split < 0) return { ok: false, error: "checkpoint has no signature block" };
  const body = envelope.slice(0, split + 1);
  const lines = body.trimEnd().split("\n");
  if (lines.length < 3) return { ok: false, error: "checkpoint body has fewer than three lines" };
  const [origin, sizeLine, rootLine] = lines as [string, string, string];
  if (!/^\d{1,15}$/.test(sizeLine)) return { ok: false, error: `checkpoint tree size "${sizeLine}" is not a number` };
  const rootHash = Buffer.from(rootLine, "base64");
  if (rootHash.length !== 32 || rootHash.toString("base64") !== rootLine)
    return { ok: false, error: "checkpoint root hash is not base64 SHA-256" };
  const data = Buffer.from(body, "utf8");
  for (const line of envelope.slice(split + 2).split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) continue;
    const raw = Buffer.from(m[2]!, "base64");
    if (raw.length < 5) continue;
    for (const k of keys) {
      if (k.name !== m[1] || !keyId(k.publicKey).subarray(0, 4).equals(raw.subarray(0, 4))) continue;
      if (verify("sha256", data, k.publicKey, raw.subarray(4))) {
        return { ok: true, checkpoint: { origin, treeSize: Number(sizeLine), rootHash, envelope }, signedBy: k.name };
      }
    }
  }
  return { ok: false, error: "checkpoint is not signed by a trusted log key" };
}
