// The log's consistency check: recompute every leaf and subtree hash from the stored bodies and compare
// with the stored nodes and with every checkpoint ever signed (from the database and, more importantly,
// the ones held outside it). Any edited, deleted or reordered row shows up as a named problem.
import type Database from "better-sqlite3";
import { verifyCheckpoint, type LogVerifierKey } from "./checkpoint.js";
import { leafHash, nodeHash, hashesEqual } from "./merkle.js";

export interface AuditResult {
  ok: boolean;
  treeSize: number;
  checkpointsChecked: number;
  problems: string[];
}

export interface AuditOptions {
  /** Keys the log has signed checkpoints with (current and rotated-out). */
  logKeys: readonly LogVerifierKey[];
  /** Checkpoints kept outside this database (the HA integration, exported bundles, backups). */
  trustedCheckpoints?: readonly string[];
  /** Stop listing after this many problems; the first ones say what happened. */
  maxProblems?: number;
}

interface ExpectedRoot {
  root: Buffer;
  source: string;
}

export function auditLog(db: Database.Database, opts: AuditOptions): AuditResult {
  const problems: string[] = [];
  const max = opts.maxProblems ?? 50;
  const report = (p: string): void => {
    if (problems.length < max) problems.push(p);
  };

  // Every checkpoint we must agree with, keyed by tree size.
  const expected = new Map<number, ExpectedRoot[]>();
  const expect = (size: number, e: ExpectedRoot): void => {
    expected.set(size, [...(expected.get(size) ?? []), e]);
  };
  const rows = db
    .prepare("SELECT tree_size, root_hash, envelope FROM trust_log_checkpoints ORDER BY tree_size")
    .all() as {
    tree_size: number;
    root_hash: Buffer;
    envelope: string;
  }[];
  const latest = rows[rows.length - 1];
  for (const row of rows) {
    // Signatures are checked on the newest stored checkpoint and on every external one; the older
    // stored ones are compared by root (an attacker cannot re-sign the newest without the log key).
    if (row === latest) {
      const v = verifyCheckpoint(row.envelope, opts.logKeys);
      if (!v.ok) report(`stored checkpoint at size ${row.tree_size}: ${v.error}`);
      else if (v.checkpoint.treeSize !== row.tree_size || !hashesEqual(v.checkpoint.rootHash, row.root_hash)) {
        report(`stored checkpoint at size ${row.tree_size} does not match its signed note`);
      }
    }
    expect(row.tree_size, { root: row.root_hash, source: `stored checkpoint at size ${row.tree_size}` });
  }
  for (const env of opts.trustedCheckpoints ?? []) {
    const v = verifyCheckpoint(env, opts.logKeys);
    if (!v.ok) report(`external checkpoint: ${v.error}`);
    else
      expect(v.checkpoint.treeSize, {
        root: v.checkpoint.rootHash,
        source: `external checkpoint at size ${v.checkpoint.treeSize}`,
      });
  }

  // hex() keeps 100k+ rows cheap: better-sqlite3 turns every BLOB into its own Buffer, text is far faster.
  const storedNodes = new Map<string, string>();
  const nodeRows = db.prepare("SELECT level, idx, lower(hex(hash)) FROM trust_log_nodes").raw().iterate() as Iterable<
    [number, number, string]
  >;
  for (const [level, idx, hash] of nodeRows) storedNodes.set(`${level}/${idx}`, hash);

  // Stream the leaves, keeping a stack of perfect subtrees (sizes strictly decreasing).
  const stack: { hash: Buffer; level: number; idx: number }[] = [];
  let count = 0;
  const rootNow = (): Buffer => {
    let acc = stack[stack.length - 1]!.hash;
    for (let i = stack.length - 2; i >= 0; i--) acc = nodeHash(stack[i]!.hash, acc);
    return acc;
  };
  const leaves = db
    .prepare("SELECT idx, lower(hex(leaf_hash)), hex(body) FROM trust_log_leaves ORDER BY idx")
    .raw()
    .iterate() as Iterable<[number, string, string]>;
  for (const [idx, storedHash, bodyHex] of leaves) {
    if (idx !== count) {
      report(idx > count ? `entries ${count}–${idx - 1} are missing (deleted rows)` : `entry ${idx} is out of order`);
      count = idx;
    }
    const h = leafHash(Buffer.from(bodyHex, "hex"));
    if (h.toString("hex") !== storedHash) report(`entry ${idx} was modified: its body no longer matches its leaf hash`);
    let node = { hash: h, level: 0, idx };
    while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
      const left = stack.pop()!;
      node = { hash: nodeHash(left.hash, node.hash), level: node.level + 1, idx: left.idx / 2 };
      const key = `${node.level}/${node.idx}`;
      const stored = storedNodes.get(key);
      if (!stored) report(`subtree node ${key} is missing`);
      else if (stored !== node.hash.toString("hex")) report(`subtree node ${key} does not match the entries below it`);
      storedNodes.delete(key);
    }
    stack.push(node);
    count++;
    for (const e of expected.get(count) ?? []) {
      if (!hashesEqual(rootNow(), e.root))
        report(`log history differs from the ${e.source}: entries before ${count} were changed`);
    }
    expected.delete(count);
  }
  for (const [size, list] of expected) {
    if (size === 0) continue;
    for (const e of list)
      report(`the ${e.source} covers ${size} entries but the log has only ${count}: entries were deleted`);
  }
  for (const key of storedNodes.keys()) report(`subtree node ${key} has no entries below it`);
  return {
    ok: problems.length === 0,
    treeSize: count,
    checkpointsChecked: rows.length + (opts.trustedCheckpoints?.length ?? 0),
    problems,
  };
}
