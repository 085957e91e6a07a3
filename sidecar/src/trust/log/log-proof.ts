// Proof files for the API and `verify --proof`: a leaf's inclusion in a newer signed checkpoint, plus a
// consistency proof from the checkpoint the bundle carries, so a verifier learns the entry is still in
// the log and the log was only appended to since (no fork, no rewrite).
import type { Bundle } from "@sigstore/bundle";
import { verifyCheckpoint, type LogVerifierKey } from "./checkpoint.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import type { TransparencyLog } from "./log-store.js";

export const LOG_PROOF_MEDIA_TYPE = "application/vnd.esphome-forge.log-proof+json;version=1";

export interface LogProofFile {
  mediaType: string;
  logIndex: number;
  treeSize: number;
  /** Audit path, base64, leaf to root. */
  hashes: string[];
  /** Signed note for `treeSize`. */
  checkpoint: string;
  consistency?: { fromTreeSize: number; hashes: string[] };
}

export function exportProof(log: TransparencyLog, logIndex: number, fromTreeSize?: number): LogProofFile {
  const cp = log.checkpoint();
  const inc = log.inclusionProof(logIndex, cp.treeSize);
  const out: LogProofFile = {
    mediaType: LOG_PROOF_MEDIA_TYPE,
    logIndex,
    treeSize: cp.treeSize,
    hashes: inc.hashes.map((h) => h.toString("base64")),
    checkpoint: cp.envelope,
  };
  if (fromTreeSize !== undefined && fromTreeSize > 0 && fromTreeSize <= cp.treeSize) {
    out.consistency = {
      fromTreeSize,
      hashes: log.consistencyProof(fromTreeSize, cp.treeSize).map((h) => h.toString("base64")),
    };
  }
  return out;
}

export type ProofCheck = { ok: true; detail: string } | { ok: false; error: string };

/**
 * Checks a proof file against the bundle's own log entry. The bundle entry (body, and the root of its
 * checkpoint) must already have been verified, e.g. by @sigstore/verify.
 */
export function verifyProofFile(file: unknown, bundle: Bundle, logKeys: readonly LogVerifierKey[]): ProofCheck {
  const p = file as Partial<LogProofFile> | null;
  if (!p || typeof p !== "object" || p.mediaType !== LOG_PROOF_MEDIA_TYPE)
    return { ok: false, error: "not a Forge log proof file" };
  if (!Number.isSafeInteger(p.logIndex) || !Array.isArray(p.hashes) || typeof p.checkpoint !== "string") {
    return { ok: false, error: "proof file is missing logIndex, hashes or checkpoint" };
  }
  const entry = bundle.verificationMaterial.tlogEntries.find((e) => Number(e.logIndex) === p.logIndex);
  if (!entry) return { ok: false, error: `the bundle has no log entry at index ${p.logIndex}` };
  const cp = verifyCheckpoint(p.checkpoint, logKeys);
  if (!cp.ok) return { ok: false, error: `proof checkpoint: ${cp.error}` };
  const size = cp.checkpoint.treeSize;
  const hashes = p.hashes.map((h) => Buffer.from(String(h), "base64"));
  if (!verifyInclusion(p.logIndex!, size, leafHash(entry.canonicalizedBody), hashes, cp.checkpoint.rootHash)) {
    return {
      ok: false,
      error: `entry ${p.logIndex} is not in the log at size ${size}: the log was rewritten or the proof is wrong`,
    };
  }
  let detail = `entry ${p.logIndex} is included in the signed log head of size ${size}`;
  const from = entry.inclusionProof;
  if (p.consistency && from?.checkpoint) {
    // The root the bundle saw, taken from its signed checkpoint rather than the unsigned rootHash field.
    const old = verifyCheckpoint(from.checkpoint.envelope, logKeys);
    if (!old.ok) return { ok: false, error: `bundle checkpoint: ${old.error}` };
    const fromSize = old.checkpoint.treeSize;
    if (p.consistency.fromTreeSize !== fromSize)
      return {
        ok: false,
        error: `consistency proof starts at size ${p.consistency.fromTreeSize}, the bundle's checkpoint is at ${fromSize}`,
      };
    const ch = p.consistency.hashes.map((h) => Buffer.from(String(h), "base64"));
    if (!verifyConsistency(fromSize, size, old.checkpoint.rootHash, cp.checkpoint.rootHash, ch)) {
      return {
        ok: false,
        error: `log at size ${size} is not an extension of the log at size ${fromSize} the bundle saw: history was rewritten`,
      };
    }
    detail += `, and that head extends the size-${fromSize} head in the bundle`;
  }
  return { ok: true, detail };
}
