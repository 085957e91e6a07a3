// The log's consistency check: recompute leaf and subtree hashes from the stored bodies and compare them
// with the stored nodes, with every checkpoint signed (stored in the database and, more importantly, held
// outside it), and the key table with the key events in the log. Any edited, deleted or reordered row
// shows up as a named problem.
//
// Full: from entry 0. Incremental: from the last audited point (size, root, what the log said about each
// key up to there), after checking that the stored hashes still give that root; it costs what was
// appended since, not the log's length (start-up). Both run as one generator that yields between
// pages, so a long audit can be spread over event-loop turns (`auditInSlices`).
import type Database from "better-sqlite3";
import { verifyCheckpoint, type LogVerifierKey } from "./checkpoint.js";
import { leafHash, nodeHash, hashesEqual, EMPTY_ROOT } from "./merkle.js";
import { checkKeyTable, foldKeyEvent, readKeyTable, type KeyEventSummary } from "../keys/key-audit.js";

export interface AuditResult {
  ok: boolean;
  treeSize: number;
  checkpointsChecked: number;
  problems: string[];
  /** `full` rehashed every entry; `incremental` the entries from `fromTreeSize` on. */
  scope: "full" | "incremental";
  fromTreeSize: number;
}

/** Where a clean audit ended: enough to go on from there next time. */
export interface AuditedPoint {
  treeSize: number;
  rootHash: Buffer;
  keyEvents: KeyEventSummary;
  checkedAt: string;
}

export interface AuditOptions {
  /** Keys the log has signed checkpoints with (current and rotated-out). */
  logKeys: readonly LogVerifierKey[];
  /** Checkpoints kept outside this database (the HA integration, exported bundles, backups). */
  trustedCheckpoints?: readonly string[];
  /** Stop listing after this many problems; the first ones say what happened. */
  maxProblems?: number;
}

export interface AuditOutcome extends AuditResult {
  /** What to record when `ok` (the next incremental audit starts here). */
  head: Omit<AuditedPoint, "checkedAt">;
}

const PAGE = 512;
/** Highest subtree level a log can have (2^52 entries: JavaScript's exact integers). */
const MAX_LEVEL = 52;

/** Full audit, in one go (tests, the CLI's offline checks). */
export function auditLog(db: Database.Database, opts: AuditOptions): AuditOutcome {
  return drain(auditSteps(db, opts, null));
}

/** Incremental audit from a recorded point, in one go (start-up: it costs what was appended since). */
export function auditLogSince(db: Database.Database, from: AuditedPoint, opts: AuditOptions): AuditOutcome {
  return drain(auditSteps(db, opts, from));
}

/** Either audit, yielding to the event loop whenever a slice took `sliceMs` (a full audit on demand). */
export async function auditInSlices(
  db: Database.Database,
  opts: AuditOptions,
  from: AuditedPoint | null,
  sliceMs = 8,
): Promise<AuditOutcome> {
  const steps = auditSteps(db, opts, from);
  let t = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - t >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      t = performance.now();
    }
  }
}

function drain(steps: Generator<void, AuditOutcome>): AuditOutcome {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

interface Subtree {
  hash: Buffer;
  level: number;
  idx: number;
}

interface ExpectedRoot {
  root: Buffer;
  source: string;
}

function* auditSteps(
  db: Database.Database,
  opts: AuditOptions,
  from: AuditedPoint | null,
): Generator<void, AuditOutcome> {
  const problems: string[] = [];
  const max = opts.maxProblems ?? 50;
  const report = (p: string): void => {
    if (problems.length < max) problems.push(p);
  };
  const start = from?.treeSize ?? 0;
  const scope: AuditResult["scope"] = from ? "incremental" : "full";
  const q = {
    leaves: db
      .prepare(
        "SELECT idx, lower(hex(leaf_hash)), hex(body) FROM trust_log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
      )
      .raw(),
    node: db.prepare("SELECT lower(hex(hash)) FROM trust_log_nodes WHERE level = ? AND idx = ?").pluck(),
    leafHash: db.prepare("SELECT lower(hex(leaf_hash)) FROM trust_log_leaves WHERE idx = ?").pluck(),
  };
  // What this audit covers is fixed now, before any yield: rows appended meanwhile are the next audit's.
  const end = db.prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM trust_log_leaves").pluck().get() as number;
  const newest = db
    .prepare("SELECT tree_size, root_hash, envelope FROM trust_log_checkpoints ORDER BY tree_size DESC LIMIT 1")
    .get() as { tree_size: number; root_hash: Buffer; envelope: string } | undefined;
  const cpMax = newest?.tree_size ?? 0;
  const result = (
    ok: boolean,
    treeSize: number,
    checkpointsChecked: number,
    head: AuditOutcome["head"],
  ): AuditOutcome => ({
    ok: ok && problems.length === 0,
    treeSize,
    checkpointsChecked,
    problems,
    scope,
    fromTreeSize: start,
    head,
  });

  if (from && from.treeSize > end) {
    report(`the log has ${end} entries, but ${from.treeSize} were audited at ${from.checkedAt}: entries were deleted`);
    return result(false, end, 0, { treeSize: end, rootHash: EMPTY_ROOT, keyEvents: new Map() });
  }

  // The stored perfect subtrees covering [0, size): the audit's starting stack, and any old root.
  const frontier = (size: number): Subtree[] | null => {
    const out: Subtree[] = [];
    let offset = 0;
    for (let level = MAX_LEVEL; level >= 0; level--) {
      const span = 2 ** level;
      if (size - offset < span) continue;
      const idx = offset / span;
      const hex = (level === 0 ? q.leafHash.get(idx) : q.node.get(level, idx)) as string | undefined;
      if (!hex) {
        report(`subtree node ${level}/${idx} is missing`);
        return null;
      }
      out.push({ hash: Buffer.from(hex, "hex"), level, idx });
      offset += span;
    }
    return out;
  };
  const rootOf = (stack: readonly Subtree[]): Buffer => {
    if (stack.length === 0) return EMPTY_ROOT;
    let acc = stack[stack.length - 1]!.hash;
    for (let i = stack.length - 2; i >= 0; i--) acc = nodeHash(stack[i]!.hash, acc);
    return acc;
  };

  const stack: Subtree[] = [];
  if (from) {
    const f = frontier(from.treeSize);
    if (!f) return result(false, end, 0, { treeSize: end, rootHash: EMPTY_ROOT, keyEvents: new Map() });
    if (!hashesEqual(rootOf(f), from.rootHash)) {
      report(
        `entries before ${from.treeSize} were changed after they were audited at ${from.checkedAt}: the stored hashes no longer give the audited root`,
      );
    }
    stack.push(...f);
  }

  // Every checkpoint we must agree with, keyed by tree size. The newest stored one is checked against
  // its signature; older stored ones by root (an attacker cannot re-sign the newest without the log key).
  const expected = new Map<number, ExpectedRoot[]>();
  const expect = (size: number, e: ExpectedRoot): void => {
    expected.set(size, [...(expected.get(size) ?? []), e]);
  };
  if (newest) {
    const v = verifyCheckpoint(newest.envelope, opts.logKeys);
    if (!v.ok) report(`stored checkpoint at size ${newest.tree_size}: ${v.error}`);
    else if (v.checkpoint.treeSize !== newest.tree_size || !hashesEqual(v.checkpoint.rootHash, newest.root_hash)) {
      report(`stored checkpoint at size ${newest.tree_size} does not match its signed note`);
    }
  }
  const stored = db
    .prepare(
      "SELECT tree_size, root_hash FROM trust_log_checkpoints WHERE tree_size > ? AND tree_size <= ? ORDER BY tree_size",
    )
    .raw()
    .all(start, cpMax) as [number, Buffer][];
  for (const [size, root] of stored) expect(size, { root, source: `stored checkpoint at size ${size}` });
  let external = 0;
  for (const env of opts.trustedCheckpoints ?? []) {
    external++;
    const v = verifyCheckpoint(env, opts.logKeys);
    if (!v.ok) {
      report(`external checkpoint: ${v.error}`);
      continue;
    }
    const { treeSize, rootHash } = v.checkpoint;
    const source = `external checkpoint at size ${treeSize}`;
    if (treeSize > start || treeSize === 0) expect(treeSize, { root: rootHash, source });
    else {
      // Below the audited point: compare with the root the stored hashes give at that size.
      const f = frontier(treeSize);
      if (f && !hashesEqual(rootOf(f), rootHash))
        report(`log history differs from the ${source}: entries before ${treeSize} were changed`);
    }
  }
  // Stored subtrees reaching past the last entry have no entries below them (checked before any
  // yield: the log keeps growing meanwhile).
  // Level l holds node idx when (idx + 1)·2^l ≤ end, i.e. idx < ⌊end / 2^l⌋: one index range per level.
  const beyond = db.prepare("SELECT level, idx FROM trust_log_nodes WHERE level = ? AND idx >= ? LIMIT ?").raw();
  const extra = db
    .prepare(`SELECT level, idx FROM trust_log_nodes WHERE level < 1 OR level > ${MAX_LEVEL} LIMIT ?`)
    .raw()
    .all(max) as [number, number][];
  for (let level = 1; level <= MAX_LEVEL; level++)
    extra.push(...(beyond.all(level, Math.floor(end / 2 ** level), max) as [number, number][]));
  for (const [level, idx] of extra) report(`subtree node ${level}/${idx} has no entries below it`);
  const keyRows = readKeyTable(db);
  yield;

  // Stream the leaves, keeping the stack of perfect subtrees (sizes strictly decreasing).
  const keyEvents: KeyEventSummary = new Map([...(from?.keyEvents ?? [])].map(([k, v]) => [k, { ...v }]));
  let count = start;
  for (let next = start; next < end;) {
    const page = q.leaves.all(next, end, PAGE) as [number, string, string][];
    if (page.length === 0) break;
    for (const [idx, storedHash, bodyHex] of page) {
      if (idx !== count) {
        report(idx > count ? `entries ${count}–${idx - 1} are missing (deleted rows)` : `entry ${idx} is out of order`);
        count = idx;
      }
      const body = Buffer.from(bodyHex, "hex");
      const h = leafHash(body);
      if (h.toString("hex") !== storedHash)
        report(`entry ${idx} was modified: its body no longer matches its leaf hash`);
      foldKeyEvent(keyEvents, body);
      let node: Subtree = { hash: h, level: 0, idx };
      while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
        const left = stack.pop()!;
        node = { hash: nodeHash(left.hash, node.hash), level: node.level + 1, idx: left.idx / 2 };
        const key = `${node.level}/${node.idx}`;
        const storedNode = q.node.get(node.level, node.idx) as string | undefined;
        if (!storedNode) report(`subtree node ${key} is missing`);
        else if (storedNode !== node.hash.toString("hex"))
          report(`subtree node ${key} does not match the entries below it`);
      }
      stack.push(node);
      count++;
      for (const e of expected.get(count) ?? []) {
        if (!hashesEqual(rootOf(stack), e.root))
          report(`log history differs from the ${e.source}: entries before ${count} were changed`);
      }
      expected.delete(count);
    }
    next = page[page.length - 1]![0] + 1;
    yield;
  }
  for (const [size, list] of expected) {
    if (size === 0) continue;
    for (const e of list)
      report(`the ${e.source} covers ${size} entries but the log has only ${count}: entries were deleted`);
  }
  for (const p of checkKeyTable(keyRows, keyEvents)) report(p);

  const checkpointsChecked = stored.length + external;
  return result(true, count, checkpointsChecked, { treeSize: count, rootHash: rootOf(stack), keyEvents });
}
