// The append-only verifiable log in SQLite: RFC 6962 leaves, stored complete-subtree hashes (so proofs
// cost O(log n) lookups), signed checkpoints, and an audit that recomputes everything from the bodies.
import type Database from "better-sqlite3";
import { signCheckpoint, type SignedCheckpoint } from "./checkpoint.js";
import { canonicalJson } from "../encoding.js";
import { keyId, type SigningKey } from "../keys/keys.js";
import { consistencyPath, EMPTY_ROOT, inclusionPath, leafHash, nodeHash, splitPoint } from "./merkle.js";

/** What a leaf records. Sigstore entries (`dsse`, `hashedrekord`) are Rekor bodies; the rest are events. */
export type LogEntryKind =
  | "build_attestation"
  | "approval"
  | "ota"
  | "ota_intent"
  | "ota_failed"
  | "key_enrolled"
  | "key_retired"
  | "key_revoked"
  | "revocation_list"
  | "external_attestation";

export interface LogEntry {
  index: number;
  kind: LogEntryKind;
  body: Buffer;
  leafHash: Buffer;
  /** Unix seconds, as Rekor's integratedTime. */
  integratedTime: number;
}

export interface InclusionProof {
  logIndex: number;
  treeSize: number;
  rootHash: Buffer;
  hashes: Buffer[];
}

export interface LogIdentity {
  /** Name on checkpoint signature lines; the trusted root's baseUrl host must equal it. */
  name: string;
  key: SigningKey;
}

export class TransparencyLog {
  readonly logId: Buffer;
  readonly origin: string;
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    readonly identity: LogIdentity,
    private readonly now: () => number = Date.now,
  ) {
    this.logId = keyId(identity.key.publicKey);
    // Rekor v1 style origin "<name> - <decimal tree id>": sigstore-go (cosign) reads that suffix as
    // "v1 log with SETs"; the tree id is derived from the log key, so a rotated key starts a new origin.
    this.origin = `${identity.name} - ${BigInt(`0x${this.logId.subarray(0, 7).toString("hex")}`).toString(10)}`;
    this.stmt = {
      size: db.prepare("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM trust_log_leaves").pluck(),
      insertLeaf: db.prepare(
        "INSERT INTO trust_log_leaves (idx, leaf_hash, kind, body, integrated_time) VALUES (?, ?, ?, ?, ?)",
      ),
      leafHash: db.prepare("SELECT leaf_hash FROM trust_log_leaves WHERE idx = ?").pluck(),
      node: db.prepare("SELECT hash FROM trust_log_nodes WHERE level = ? AND idx = ?").pluck(),
      insertNode: db.prepare("INSERT INTO trust_log_nodes (level, idx, hash) VALUES (?, ?, ?)"),
      entry: db.prepare("SELECT idx, kind, body, leaf_hash, integrated_time FROM trust_log_leaves WHERE idx = ?"),
      checkpoint: db.prepare("SELECT envelope, root_hash FROM trust_log_checkpoints WHERE tree_size = ?"),
      insertCheckpoint: db.prepare(
        "INSERT OR IGNORE INTO trust_log_checkpoints (tree_size, root_hash, envelope, created_at) VALUES (?, ?, ?, ?)",
      ),
      latestCheckpoint: db.prepare(
        "SELECT tree_size, envelope FROM trust_log_checkpoints ORDER BY tree_size DESC LIMIT 1",
      ),
    };
  }

  size(): number {
    return this.stmt.size.get() as number;
  }

  /** Appends one leaf and the complete subtrees it closes, in one transaction. */
  append(kind: LogEntryKind, body: Buffer): LogEntry {
    // IMMEDIATE: take the write lock before reading the size, so two connections cannot pick one index.
    return this.db
      .transaction((): LogEntry => {
        const index = this.size();
        const hash = leafHash(body);
        const integratedTime = Math.floor(this.now() / 1000);
        this.stmt.insertLeaf.run(index, hash, kind, body, integratedTime);
        // Leaf i closes the level-l subtree ending at i whenever (i + 1) is a multiple of 2^l.
        let right = hash;
        for (let level = 1, span = 2; (index + 1) % span === 0; level++, span *= 2) {
          const nodeIdx = (index + 1) / span - 1;
          const left = this.perfect(level - 1, nodeIdx * 2);
          right = nodeHash(left, right);
          this.stmt.insertNode.run(level, nodeIdx, right);
        }
        return { index, kind, body, leafHash: hash, integratedTime };
      })
      .immediate();
  }

  /** Appends an event as canonical JSON, e.g. an OTA or a key enrolment. */
  appendEvent(kind: LogEntryKind, data: Record<string, unknown>): LogEntry {
    return this.append(kind, Buffer.from(canonicalJson({ kind, ...data }), "utf8"));
  }

  entry(index: number): LogEntry | null {
    const row = this.stmt.entry.get(index) as
      { idx: number; kind: LogEntryKind; body: Buffer; leaf_hash: Buffer; integrated_time: number } | undefined;
    return row
      ? { index: row.idx, kind: row.kind, body: row.body, leafHash: row.leaf_hash, integratedTime: row.integrated_time }
      : null;
  }

  private perfect(level: number, idx: number): Buffer {
    return perfectHash(this.stmt.leafHash, this.stmt.node, level, idx);
  }

  private readonly mth = (start: number, end: number): Buffer =>
    subtreeHash((level, idx) => this.perfect(level, idx), start, end);

  root(treeSize = this.size()): Buffer {
    this.checkSize(treeSize);
    return this.mth(0, treeSize);
  }

  inclusionProof(index: number, treeSize = this.size()): InclusionProof {
    this.checkSize(treeSize);
    return {
      logIndex: index,
      treeSize,
      rootHash: this.root(treeSize),
      hashes: inclusionPath(index, treeSize, this.mth),
    };
  }

  consistencyProof(fromSize: number, toSize = this.size()): Buffer[] {
    this.checkSize(toSize);
    return consistencyPath(fromSize, toSize, this.mth);
  }

  /** Signs (or returns the stored) checkpoint for a tree size, default the current head. */
  checkpoint(treeSize = this.size()): SignedCheckpoint {
    this.checkSize(treeSize);
    const stored = this.stmt.checkpoint.get(treeSize) as { envelope: string; root_hash: Buffer } | undefined;
    if (stored) return { origin: this.origin, treeSize, rootHash: stored.root_hash, envelope: stored.envelope };
    const signed = signCheckpoint(
      { origin: this.origin, treeSize, rootHash: this.root(treeSize) },
      this.identity.name,
      this.identity.key,
    );
    this.stmt.insertCheckpoint.run(treeSize, signed.rootHash, signed.envelope, new Date(this.now()).toISOString());
    return signed;
  }

  latestCheckpoint(): { treeSize: number; envelope: string } | null {
    const row = this.stmt.latestCheckpoint.get() as { tree_size: number; envelope: string } | undefined;
    return row ? { treeSize: row.tree_size, envelope: row.envelope } : null;
  }

  private checkSize(treeSize: number): void {
    const size = this.size();
    if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > size) {
      throw new RangeError(`tree size ${treeSize} is outside the log (size ${size})`);
    }
  }
}

export class LogCorruptError extends Error {}

/**
 * The root of the first `treeSize` entries, read from the stored hashes without the log's key (the state
 * anchor outside the database compares it at start).
 */
export function storedRoot(db: Database.Database, treeSize: number): Buffer {
  const leaf = db.prepare("SELECT leaf_hash FROM trust_log_leaves WHERE idx = ?").pluck();
  const node = db.prepare("SELECT hash FROM trust_log_nodes WHERE level = ? AND idx = ?").pluck();
  return subtreeHash((level, idx) => perfectHash(leaf, node, level, idx), 0, treeSize);
}

function perfectHash(leaf: Database.Statement, node: Database.Statement, level: number, idx: number): Buffer {
  const h = (level === 0 ? leaf.get(idx) : node.get(level, idx)) as Buffer | undefined;
  if (!h) throw new LogCorruptError(`log node ${level}/${idx} is missing`);
  return h;
}

/** MTH over [start, end) from stored perfect subtrees; only the right border is recomputed. */
function subtreeHash(perfect: (level: number, idx: number) => Buffer, start: number, end: number): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if ((n & (n - 1)) === 0 && start % n === 0) return perfect(Math.log2(n), start / n);
  const k = splitPoint(n);
  return nodeHash(subtreeHash(perfect, start, start + k), subtreeHash(perfect, start + k, end));
}
