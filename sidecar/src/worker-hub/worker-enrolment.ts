// Enrolment is an admin decision. Every worker key has one, kept here (`worker_keys`): a new worker's
// first key, or a new key under a known worker (a reinstall, or `worker rotate-key`), waits as
// `pending` until an admin approves it — comparing its fingerprint — or rejects it. Only then does the
// key enter the trust engine's registry, where it may sign build provenance. Approving a new key under
// a known worker retires the old one (its earlier signatures stay valid). Revoking a worker revokes
// every key it has and every credential bound to it, at once and for good.
//
// The built-in local worker (its token made by the sidecar itself) and, when the admin turned it on
// for a first setup, `autoApproveWorkers` approve without a person; each such approval is reported
// through `onDecision` (logged; the transparency log records the key's enrolment).
import type { WorkerEnrolment } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { TrustEngine } from "../trust/index.js";
import { keyFingerprint, keyHint, publicKeyFromPem } from "../trust/keys/keys.js";
import type { Clock } from "../util/clock.js";
import { ConflictError, NotFoundError, ValidationError } from "../util/errors.js";
import { cachedStatement } from "../db/statements.js";

export type KeyState = "pending" | "approved" | "rejected" | "retired" | "revoked";
export type DecidedBy = "admin" | "auto" | "local";

export interface WorkerKey {
  hint: string;
  fingerprint: string;
  workerId: string;
  publicPem: string;
  kind: "enrol" | "rotate";
  state: KeyState;
  tokenId: string | null;
  requestedAt: number;
}

export type EnrolmentEvent =
  | { type: "approved"; workerId: string; fingerprint: string; kind: "enrol" | "rotate"; by: DecidedBy }
  | { type: "rejected"; workerId: string; fingerprint: string }
  | { type: "revoked"; workerId: string; reason: string; tokens: string[] };

export interface EnrolmentView {
  enrolment: WorkerEnrolment;
  keyFingerprint: string | null;
  pendingKey: { fingerprint: string; kind: "enrol" | "rotate"; requestedAt: string } | null;
}

interface KeyRow {
  hint: string;
  worker_id: string;
  public_pem: string;
  kind: "enrol" | "rotate";
  state: KeyState;
  token_id: string | null;
  requested_at: number;
}

/** New workers one credential may have waiting at once (a stolen token cannot flood the admin's list). */
export const MAX_PENDING_PER_TOKEN = 8;

export class WorkerEnrolments {
  private readonly listeners = new Set<(e: EnrolmentEvent) => void>();

  constructor(
    private readonly db: Db,
    private readonly trust: Pick<TrustEngine, "enrolWorkerKey" | "keys">,
    private readonly clock: Clock,
  ) {}

  /** Every decision: logged by the sidecar and announced; the hook the transparency log will record from. */
  onDecision(fn: (e: EnrolmentEvent) => void): void {
    this.listeners.add(fn);
  }

  key(hint: string): WorkerKey | undefined {
    const row = this.db.prepare("SELECT * FROM worker_keys WHERE hint = ?").get(hint) as KeyRow | undefined;
    return row ? toKey(row) : undefined;
  }

  /** Revoked in the trust engine's registry (e.g. `trust revoke --signer`), whoever it was enrolled for. */
  revokedAnywhere(hint: string): boolean {
    return this.trust.keys.get(hint)?.revokedAt != null || this.key(hint)?.state === "revoked";
  }

  approvedKey(workerId: string): WorkerKey | undefined {
    return this.keysOf(workerId).find((k) => k.state === "approved");
  }

  pendingKey(workerId: string): WorkerKey | undefined {
    return this.keysOf(workerId).find((k) => k.state === "pending");
  }

  isRevoked(workerId: string): boolean {
    const r = cachedStatement(this.db, "SELECT revoked_at FROM workers WHERE id = ?").get(workerId) as
      { revoked_at: number | null } | undefined;
    return r?.revoked_at != null;
  }

  /**
   * Records a key waiting for the admin. A worker has at most one pending key: a newer request replaces
   * the older one (the admin approves the fingerprint they compared, so a swap cannot slip through).
   */
  request(workerId: string, pem: string, kind: "enrol" | "rotate", tokenId: string | null): WorkerKey {
    const pk = publicKeyFromPem(pem);
    const hint = keyHint(pk);
    if (tokenId && !this.pendingKey(workerId)) {
      const n = this.db
        .prepare("SELECT COUNT(*) AS n FROM worker_keys WHERE token_id = ? AND state = 'pending'")
        .get(tokenId) as { n: number };
      if (n.n >= MAX_PENDING_PER_TOKEN)
        throw new ConflictError(`this credential already has ${n.n} workers waiting for approval`);
    }
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM worker_keys WHERE worker_id = ? AND state = 'pending'").run(workerId);
      this.db
        .prepare(
          `INSERT INTO worker_keys (hint, worker_id, public_pem, kind, state, token_id, requested_at)
           VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(hint, workerId, pk.export({ type: "spki", format: "pem" }), kind, tokenId, this.clock.now());
    })();
    return this.key(hint)!;
  }

  /**
   * Approves the worker's pending key. `fingerprint`, when given, must be the pending key's: the admin
   * approves what they compared. The key is enrolled for signing; a previous key is retired.
   */
  approve(workerId: string, by: DecidedBy, fingerprint?: string): WorkerKey {
    if (this.isRevoked(workerId)) throw new ConflictError(`worker ${workerId} is revoked`);
    const key = this.pendingKey(workerId);
    if (!key) throw new NotFoundError(`worker ${workerId} has no key waiting for approval`);
    if (fingerprint && fingerprint !== key.fingerprint)
      throw new ValidationError(
        `the key waiting for worker ${workerId} has fingerprint ${key.fingerprint}, not ${fingerprint}; compare again`,
      );
    const now = this.clock.now();
    this.db.transaction(() => {
      const previous = this.approvedKey(workerId);
      this.trust.enrolWorkerKey(workerId, key.publicPem);
      if (previous) {
        this.trust.keys.retire(previous.hint);
        this.setState(previous.hint, "retired", now, by);
      }
      this.setState(key.hint, "approved", now, by);
      // Credentials bound to the old key now belong to the new one.
      if (previous)
        this.db.prepare("UPDATE worker_tokens SET key_hint = ? WHERE key_hint = ?").run(key.hint, previous.hint);
    })();
    this.emit({ type: "approved", workerId, fingerprint: key.fingerprint, kind: key.kind, by });
    return this.key(key.hint)!;
  }

  reject(workerId: string): WorkerKey {
    const key = this.pendingKey(workerId);
    if (!key) throw new NotFoundError(`worker ${workerId} has no key waiting for approval`);
    this.setState(key.hint, "rejected", this.clock.now(), "admin");
    this.emit({ type: "rejected", workerId, fingerprint: key.fingerprint });
    return this.key(key.hint)!;
  }

  /**
   * Revokes the worker: every key it has (signatures from `since` on are refused), every credential bound
   * to it, and the worker id itself (it cannot come back, under any key). Returns the revoked token ids;
   * the caller closes its connections.
   */
  revoke(workerId: string, reason: string, since: Date = new Date(this.clock.now())): string[] {
    const row = this.db.prepare("SELECT token_id FROM workers WHERE id = ?").get(workerId) as
      { token_id: string | null } | undefined;
    if (!row) throw new NotFoundError(`no worker with id ${workerId}`);
    const now = this.clock.now();
    const tokens = new Set<string>();
    this.db.transaction(() => {
      for (const k of this.keysOf(workerId)) {
        if (k.state === "revoked") continue;
        if (this.trust.keys.get(k.hint)) this.trust.keys.revoke(k.hint, reason, since);
        this.setState(k.hint, "revoked", now, "admin");
        if (k.tokenId) tokens.add(k.tokenId);
      }
      if (row.token_id) tokens.add(row.token_id);
      const bound = this.db.prepare("SELECT id FROM worker_tokens WHERE worker_id = ?").all(workerId) as {
        id: string;
      }[];
      for (const t of bound) tokens.add(t.id);
      const revokeToken = this.db.prepare("UPDATE worker_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?");
      for (const t of tokens) revokeToken.run(now, t);
      this.db
        .prepare("UPDATE workers SET revoked_at = COALESCE(revoked_at, ?), revoke_reason = ? WHERE id = ?")
        .run(now, reason, workerId);
    })();
    this.emit({ type: "revoked", workerId, reason, tokens: [...tokens] });
    return [...tokens];
  }

  /** The worker's standing as the API shows it. */
  view(workerId: string): EnrolmentView {
    const keys = this.keysOf(workerId);
    const approved = keys.find((k) => k.state === "approved");
    const pending = keys.find((k) => k.state === "pending");
    const latest = keys[0];
    const enrolment: WorkerEnrolment = this.isRevoked(workerId)
      ? "revoked"
      : approved
        ? "approved"
        : pending
          ? "pending"
          : latest?.state === "rejected"
            ? "rejected"
            : // No decision on record: a worker known before keys existed, or one that never proved a key.
              "pending";
    return {
      enrolment,
      keyFingerprint: (approved ?? pending)?.fingerprint ?? null,
      pendingKey: pending
        ? {
            fingerprint: pending.fingerprint,
            kind: pending.kind,
            requestedAt: new Date(pending.requestedAt).toISOString(),
          }
        : null,
    };
  }

  private keysOf(workerId: string): WorkerKey[] {
    const rows = cachedStatement(
      this.db,
      "SELECT * FROM worker_keys WHERE worker_id = ? ORDER BY requested_at DESC, rowid DESC",
    ).all(workerId) as KeyRow[];
    return rows.map(toKey);
  }

  private setState(hint: string, state: KeyState, at: number, by: string): void {
    this.db
      .prepare("UPDATE worker_keys SET state = ?, decided_at = ?, decided_by = ? WHERE hint = ?")
      .run(state, at, by, hint);
  }

  private emit(e: EnrolmentEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}

/** PEM → fingerprint: a worker's view is built on every job it starts or ends, and parsing its key each time showed in profiles. */
const fingerprints = new Map<string, string>();
const FINGERPRINTS_KEPT = 1000;

function fingerprintOf(pem: string): string {
  let fp = fingerprints.get(pem);
  if (fp === undefined) {
    fp = keyFingerprint(publicKeyFromPem(pem));
    if (fingerprints.size >= FINGERPRINTS_KEPT) fingerprints.clear();
    fingerprints.set(pem, fp);
  }
  return fp;
}

function toKey(r: KeyRow): WorkerKey {
  return {
    hint: r.hint,
    fingerprint: fingerprintOf(r.public_pem),
    workerId: r.worker_id,
    publicPem: r.public_pem,
    kind: r.kind,
    state: r.state,
    tokenId: r.token_id,
    requestedAt: r.requested_at,
  };
}
