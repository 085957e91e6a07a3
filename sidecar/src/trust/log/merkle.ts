// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification. Pure: subtree hashes come
// from a callback, so the SQLite log can answer them from stored nodes in O(log n).
import { timingSafeEqual } from "node:crypto";
import { sha256 } from "../encoding.js";

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const EMPTY_ROOT = sha256();

export function leafHash(body: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, body);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** Largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Hash of the subtree over leaves [start, end); RFC 9162 §2.1.1 MTH. */
export type SubtreeHash = (start: number, end: number) => Buffer;

/** Root over a full list of leaf hashes in O(n) with a stack of perfect subtrees (used by audits). */
export function rootFromLeafHashes(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  // stack[i] holds a perfect subtree; sizes strictly decrease towards the top.
  const stack: { hash: Buffer; size: number }[] = [];
  for (const leaf of leaves) {
    let node = { hash: leaf, size: 1 };
    while (stack.length > 0 && stack[stack.length - 1]!.size === node.size) {
      const left = stack.pop()!;
      node = { hash: nodeHash(left.hash, node.hash), size: left.size * 2 };
    }
    stack.push(node);
  }
  let acc = stack.pop()!.hash;
  while (stack.length > 0) acc = nodeHash(stack.pop()!.hash, acc);
  return acc;
}

/** Audit path for leaf `index` in a tree of `size` leaves; RFC 9162 §2.1.3.1, leaf-to-root order. */
export function inclusionPath(index: number, size: number, mth: SubtreeHash): Buffer[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is outside a tree of ${size}`);
  const path: Buffer[] = [];
  let start = 0;
  let end = size;
  const stack: Buffer[] = [];
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      stack.push(mth(start + k, end));
      end = start + k;
    } else {
      stack.push(mth(start, start + k));
      start += k;
    }
  }
  // Collected root-to-leaf; proofs are given leaf-to-root.
  while (stack.length > 0) path.push(stack.pop()!);
  return path;
}

/** Consistency proof between tree sizes m ≤ n; RFC 9162 §2.1.4.1 (SUBPROOF), leaf-to-root order. */
export function consistencyPath(m: number, n: number, mth: SubtreeHash): Buffer[] {
  if (!(m >= 0 && m <= n)) throw new RangeError(`cannot prove consistency from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  const out: Buffer[] = [];
  const sub = (mm: number, start: number, end: number, whole: boolean): void => {
    const nn = end - start;
    if (mm === nn) {
      if (!whole) out.push(mth(start, end));
      return;
    }
    const k = splitPoint(nn);
    if (mm <= k) {
      sub(mm, start, start + k, whole);
      out.push(mth(start + k, end));
    } else {
      sub(mm - k, start + k, end, false);
      out.push(mth(start, start + k));
    }
  };
  sub(m, 0, n, true);
  return out;
}

export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 9162 §2.1.3.2. Returns false instead of throwing: proofs come from outside. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hashesEqual(r, root);
}

/** RFC 9162 §2.1.4.2: does the tree of size n with `newRoot` extend the tree of size m with `oldRoot`? */
export function verifyConsistency(
  m: number,
  n: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m <= n)) return false;
  if (m === n) return proof.length === 0 && hashesEqual(oldRoot, newRoot);
  if (m === 0) return proof.length === 0; // the empty tree is a prefix of every tree
  const path = (m & (m - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hashesEqual(fr, oldRoot) && hashesEqual(sr, newRoot);
}
