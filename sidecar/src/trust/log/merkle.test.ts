import { describe, expect, it } from "vitest";
import {
  consistencyPath,
  EMPTY_ROOT,
  inclusionPath,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type SubtreeHash,
} from "./merkle.js";

// Reference MTH straight from the RFC's recursive definition.
function mthNaive(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mthNaive(leaves.slice(0, k)), mthNaive(leaves.slice(k)));
}

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const mth: SubtreeHash = (s, e) => mthNaive(leaves.slice(s, e));

describe("merkle", () => {
  it("matches the RFC 6962 test vector for the empty tree and one leaf", () => {
    expect(EMPTY_ROOT.toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(leafHash(Buffer.alloc(0)).toString("hex")).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
  });

  it("computes the same root with the stack algorithm as with the recursive definition", () => {
    for (let n = 0; n <= leaves.length; n++)
      expect(rootFromLeafHashes(leaves.slice(0, n)).equals(mthNaive(leaves.slice(0, n)))).toBe(true);
  });

  it("proves and verifies inclusion for every leaf of every tree size up to 70", () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = mthNaive(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        const path = inclusionPath(i, n, mth);
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusion(i, n, leaves[i]!, path, root)).toBe(true);
        if (n > 1) {
          expect(verifyInclusion(i, n, leaves[(i + 1) % n]!, path, root)).toBe(false);
          const bad = path.map((h, j) => (j === 0 ? nodeHash(h, h) : h));
          expect(verifyInclusion(i, n, leaves[i]!, bad, root)).toBe(false);
        }
      }
    }
  });

  it("proves and verifies consistency between every pair of sizes up to 70", () => {
    for (let n = 1; n <= leaves.length; n++) {
      const newRoot = mthNaive(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const oldRoot = mthNaive(leaves.slice(0, m));
        const proof = consistencyPath(m, n, mth);
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        if (m < n) {
          // A rewritten history (different old root) must not verify.
          expect(verifyConsistency(m, n, leafHash(Buffer.from("forged")), newRoot, proof)).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, leafHash(Buffer.from("forged")), proof)).toBe(false);
        }
      }
    }
  });

  it("rejects nonsense indices and sizes without throwing", () => {
    expect(verifyInclusion(5, 5, leaves[0]!, [], EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(-1, 5, leaves[0]!, [], EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(6, 5, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(false);
    expect(() => inclusionPath(3, 3, mth)).toThrow(RangeError);
  });
});
