// Enrolled public keys by hint, with role, owner and a validity window. Rotation retires a key (old
// signatures stay valid, new ones are refused); revocation marks it compromised from a point in time.
import type { KeyObject } from "node:crypto";
import type Database from "better-sqlite3";
import type { TrustState } from "@esphome-forge/shared";
import { keyHint, publicKeyFromPem } from "./keys.js";
import { shortHint } from "../encoding.js";

export const KEY_ROLES = ["worker", "sidecar", "log", "revocation", "external"] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

export interface TrustedKey {
  hint: string;
  role: KeyRole;
  owner: string;
  publicKey: KeyObject;
  publicPem: string;
  enrolledAt: Date;
  retiredAt: Date | null;
  revokedAt: Date | null;
  revokeReason: string | null;
}

/** A read-only view the pure verifiers take, so they never touch the database. */
export type KeyLookup = (hint: string) => TrustedKey | undefined;

export function keyLookupOf(keys: Iterable<TrustedKey>): KeyLookup {
  const map = new Map<string, TrustedKey>();
  for (const k of keys) map.set(k.hint, k);
  return (hint) => map.get(hint);
}

export type KeyEvent = { type: "key_enrolled" | "key_retired" | "key_revoked"; key: TrustedKey };

interface Row {
  hint: string;
  role: KeyRole;
  owner: string;
  public_pem: string;
  enrolled_at: string;
  retired_at: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
}

/** Parsed keys by PEM: a row's key never changes, and parsing a PEM costs more than the query. */
const parsedKeys = new Map<string, KeyObject>();

function parsedKey(pem: string): KeyObject {
  let k = parsedKeys.get(pem);
  if (!k) {
    k = publicKeyFromPem(pem);
    if (parsedKeys.size >= 10_000) parsedKeys.clear();
    parsedKeys.set(pem, k);
  }
  return k;
}

function fromRow(r: Row): TrustedKey {
  return {
    hint: r.hint,
    role: r.role,
    owner: r.owner,
    publicKey: parsedKey(r.public_pem),
    publicPem: r.public_pem,
    enrolledAt: new Date(r.enrolled_at),
    retiredAt: r.retired_at ? new Date(r.retired_at) : null,
    revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
    revokeReason: r.revoke_reason,
  };
}

export class KeyRegistry {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
    private readonly onEvent: (e: KeyEvent) => void = () => {},
  ) {}

  /** Records a public key; enrolling the same key again for the same role and owner is a no-op. */
  enrol(input: { role: KeyRole; owner: string; publicKeyPem: string }): TrustedKey {
    const pk = publicKeyFromPem(input.publicKeyPem);
    const pem = pk.export({ type: "spki", format: "pem" }) as string;
    const hint = keyHint(pk);
    const existing = this.get(hint);
    if (existing) {
      if (existing.role !== input.role || existing.owner !== input.owner) {
        throw new Error(`key ${shortHint(hint)} is already enrolled as ${existing.role} for ${existing.owner}`);
      }
      if (existing.revokedAt) throw new Error(`key ${shortHint(hint)} was revoked and cannot be enrolled again`);
      return existing;
    }
    this.db
      .prepare("INSERT INTO trust_keys (hint, role, owner, public_pem, enrolled_at) VALUES (?, ?, ?, ?, ?)")
      .run(hint, input.role, input.owner, pem, this.now().toISOString());
    const key = this.get(hint)!;
    this.onEvent({ type: "key_enrolled", key });
    return key;
  }

  get(hint: string): TrustedKey | undefined {
    const r = this.db.prepare("SELECT * FROM trust_keys WHERE hint = ?").get(hint) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  list(filter: { role?: KeyRole; owner?: string } = {}): TrustedKey[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM trust_keys WHERE (? IS NULL OR role = ?) AND (? IS NULL OR owner = ?) ORDER BY enrolled_at, hint",
      )
      .all(filter.role ?? null, filter.role ?? null, filter.owner ?? null, filter.owner ?? null) as Row[];
    return rows.map(fromRow);
  }

  /** Keys that may sign now: enrolled, not retired, not revoked. */
  active(role: KeyRole, owner?: string): TrustedKey[] {
    return this.list({ role, owner }).filter((k) => !k.retiredAt && !k.revokedAt);
  }

  /** Rotation: the key stops signing now, earlier signatures keep verifying. */
  retire(hint: string, at: Date = this.now()): TrustedKey {
    const res = this.db
      .prepare("UPDATE trust_keys SET retired_at = ? WHERE hint = ? AND retired_at IS NULL")
      .run(at.toISOString(), hint);
    const key = this.mustGet(hint);
    if (res.changes > 0) this.onEvent({ type: "key_retired", key });
    return key;
  }

  /** Compromise: signatures from `since` on (or all of them, when their time is not proven) are refused. */
  revoke(hint: string, reason: string, since: Date = this.now()): TrustedKey {
    const res = this.db
      .prepare("UPDATE trust_keys SET revoked_at = ?, revoke_reason = ? WHERE hint = ? AND revoked_at IS NULL")
      .run(since.toISOString(), reason, hint);
    const key = this.mustGet(hint);
    if (res.changes > 0) this.onEvent({ type: "key_revoked", key });
    return key;
  }

  snapshot(): KeyLookup {
    return keyLookupOf(this.list());
  }

  private mustGet(hint: string): TrustedKey {
    const k = this.get(hint);
    if (!k) throw new Error(`no enrolled key ${shortHint(hint)}`);
    return k;
  }
}

export type KeyCheck = { ok: true } | { ok: false; state: TrustState; reason: string };

/**
 * May this key have made a signature at `signedAt`? `null` means the time is not proven (no log entry),
 * so only a key that is valid right now qualifies.
 */
export function keyValidAt(key: TrustedKey, signedAt: Date | null, now: Date): KeyCheck {
  const label = `${key.role} key ${shortHint(key.hint)} (${key.owner})`;
  const t = signedAt ?? now;
  // Log timestamps have one-second resolution; enrolment has milliseconds.
  if (t.getTime() < Math.floor(key.enrolledAt.getTime() / 1000) * 1000) {
    return { ok: false, state: "unknown_signer", reason: `${label} was not enrolled yet at ${t.toISOString()}` };
  }
  if (key.revokedAt && t >= key.revokedAt) {
    const when = signedAt ? `signed at ${signedAt.toISOString()}` : "with no proven signing time";
    return {
      ok: false,
      state: "revoked",
      reason: `${label} was revoked from ${key.revokedAt.toISOString()} (${key.revokeReason ?? "no reason given"}); signature ${when}`,
    };
  }
  if (key.retiredAt && t >= key.retiredAt) {
    const when = signedAt ? `is dated ${signedAt.toISOString()}` : "has no log timestamp proving it predates that";
    return {
      ok: false,
      state: "unknown_signer",
      reason: `${label} was rotated out at ${key.retiredAt.toISOString()} and this signature ${when}`,
    };
  }
  return { ok: true };
}
