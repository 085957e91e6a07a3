// The sidecar's own public keys (approval, log, revocation) pinned in a file beside the private keys,
// `<keysDir>/pinned-keys.json`, with a digest over the set. The database's key table is not where these
// are trusted from: a key row added to a copied `forge.db` is not served in the trusted root and signs
// nothing that verifies, a rotated-out key whose `retired_at` was cleared stays rotated out, and the
// audit names every difference. Written only by the sidecar itself (first start, rotation), atomically.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson, sha256Hex, shortHint } from "../encoding.js";
import type { KeyLookup, KeyRole, TrustedKey } from "./key-registry.js";
import { keyHint, publicKeyFromPem } from "./keys.js";
import { readIfPresent } from "../../util/read-if-present.js";

/** Roles only the sidecar's own keys have: never trusted from the database alone. */
export const PINNED_ROLES: readonly KeyRole[] = ["sidecar", "log", "revocation"];

export interface PinnedKey {
  hint: string;
  role: KeyRole;
  publicKey: string;
  enrolledAt: string;
  retiredAt: string | null;
}

interface PinFile {
  format: 1;
  /** sha256 over the canonical JSON of `keys`: the key set's identity (shown in the status, witnessed by HA). */
  digest: string;
  keys: PinnedKey[];
}

export class PinnedKeysError extends Error {}

export function pinnedKeysPath(keysDir: string): string {
  return join(keysDir, "pinned-keys.json");
}

export function keySetDigest(keys: readonly PinnedKey[]): string {
  return sha256Hex(canonicalJson(keys));
}

export class PinnedKeys {
  private keys: PinnedKey[];
  /** True when this start created the file (first start, or first start after an upgrade). */
  readonly created: boolean;

  constructor(private readonly file: string) {
    const read = readPins(file);
    this.keys = read ?? [];
    this.created = read === null;
  }

  digest(): string {
    return keySetDigest(this.keys);
  }

  list(): readonly PinnedKey[] {
    return this.keys;
  }

  has(hint: string): boolean {
    return this.keys.some((k) => k.hint === hint);
  }

  /** Pins a key (first start, rotation) or records its retirement; rewrites the file when something changed. */
  pin(key: TrustedKey): void {
    if (!PINNED_ROLES.includes(key.role)) return;
    const entry: PinnedKey = {
      hint: key.hint,
      role: key.role,
      publicKey: key.publicPem,
      enrolledAt: key.enrolledAt.toISOString(),
      retiredAt: key.retiredAt?.toISOString() ?? null,
    };
    const i = this.keys.findIndex((k) => k.hint === key.hint);
    if (i >= 0 && canonicalJson(this.keys[i]) === canonicalJson(entry)) return;
    // A pinned key's enrolment and key never change; only its retirement is added.
    const next = i >= 0 ? { ...this.keys[i]!, retiredAt: this.keys[i]!.retiredAt ?? entry.retiredAt } : entry;
    this.keys = i >= 0 ? this.keys.map((k, j) => (j === i ? next : k)) : [...this.keys, next];
    writePins(this.file, this.keys);
  }

  /**
   * The key table as verifiers may use it: keys of a pinned role come from the pin file (the database row
   * only adds a revocation); a database row of such a role that is not pinned is not a key at all.
   */
  filter(lookup: KeyLookup): KeyLookup {
    const pinned = new Map(this.keys.map((k) => [k.hint, k]));
    return (hint) => {
      const k = lookup(hint);
      const pin = pinned.get(hint);
      if (!pin) return k && PINNED_ROLES.includes(k.role) ? undefined : k;
      return fromPin(pin, k);
    };
  }

  /** The database's key table against the pins: each difference named. */
  problems(rows: readonly TrustedKey[]): string[] {
    const out: string[] = [];
    const pinned = new Map(this.keys.map((k) => [k.hint, k]));
    for (const r of rows) {
      if (!PINNED_ROLES.includes(r.role)) continue;
      const pin = pinned.get(r.hint);
      const label = `${r.role} key ${shortHint(r.hint)}`;
      if (!pin) out.push(`${label} is in the database but not pinned in pinned-keys.json: it is not trusted`);
      else if (pin.role !== r.role) out.push(`${label} is pinned as a ${pin.role} key: its role was changed`);
      else if (pin.retiredAt && !r.retiredAt) out.push(`${label} was rotated out, but the key table no longer says so`);
    }
    for (const p of this.keys)
      if (!rows.some((r) => r.hint === p.hint))
        out.push(`pinned ${p.role} key ${shortHint(p.hint)} is missing from the database's key table`);
    return out;
  }
}

function fromPin(pin: PinnedKey, row: TrustedKey | undefined): TrustedKey {
  const publicKey = publicKeyFromPem(pin.publicKey);
  const pinRetired = pin.retiredAt ? new Date(pin.retiredAt) : null;
  const rowRetired = row?.retiredAt ?? null;
  return {
    hint: pin.hint,
    role: pin.role,
    owner: row?.owner ?? "sidecar",
    publicKey,
    publicPem: pin.publicKey,
    enrolledAt: new Date(pin.enrolledAt),
    // The earlier of the two: a database edit can shorten a key's life, never lengthen it.
    retiredAt:
      pinRetired && rowRetired ? (pinRetired < rowRetired ? pinRetired : rowRetired) : (pinRetired ?? rowRetired),
    revokedAt: row?.revokedAt ?? null,
    revokeReason: row?.revokeReason ?? null,
  };
}

function readPins(file: string): PinnedKey[] | null {
  const text = readIfPresent(file);
  if (text === null) return null;
  let parsed: Partial<PinFile>;
  try {
    parsed = JSON.parse(text) as Partial<PinFile>;
  } catch {
    throw new PinnedKeysError(`${file} is not valid JSON; restore it from a backup (it pins the sidecar's own keys)`);
  }
  if (parsed.format !== 1 || !Array.isArray(parsed.keys)) throw new PinnedKeysError(`${file} has an unknown format`);
  for (const k of parsed.keys) {
    if (keyHint(publicKeyFromPem(k.publicKey)) !== k.hint)
      throw new PinnedKeysError(`${file}: the key pinned as ${shortHint(k.hint)} has another hint`);
  }
  if (keySetDigest(parsed.keys) !== parsed.digest)
    throw new PinnedKeysError(`${file}: its digest does not match its keys (edited by hand?)`);
  return parsed.keys;
}

function writePins(file: string, keys: PinnedKey[]): void {
  const content: PinFile = { format: 1, digest: keySetDigest(keys), keys };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 1) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
}
