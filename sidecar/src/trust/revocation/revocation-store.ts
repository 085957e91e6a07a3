// The signed, versioned revocation list: publish (sign a new version with the revocation key and log
// its digest), export (the bundle JSON), import (verified with a pinned key; lower versions refused,
// a different list under the current version refused as a split view), and the current list.
import { verify } from "node:crypto";
import type Database from "better-sqlite3";
import { dsse } from "@sigstore/core";
import type { SerializedBundle } from "@sigstore/bundle";
import { asJson, sha256Hex } from "../encoding.js";
import type { KeyLookup } from "../keys/key-registry.js";
import type { SigningKey } from "../keys/keys.js";
import type { TransparencyLog } from "../log/log-store.js";
import { logWitness } from "../log/log-witness.js";
import { parseRevocationList, REVOCATION_PAYLOAD_TYPE, RevocationList, type RevocationEntry } from "./revocation.js";
import { signDsse } from "../keys/sign.js";
import type { LoadedTrustedRoot } from "../keys/trusted-root.js";
import { verifyBundle } from "../attest/verify-bundle.js";
import type { RevocationAnchor, RevocationAnchorContent } from "./revocation-anchor.js";
import { cachedStatement } from "../../db/statements.js";

export interface StoredRevocationList {
  version: number;
  list: RevocationList;
  bundle: SerializedBundle;
  /** sha256 of the signed payload: what the log records, so every consumer can compare. */
  digest: string;
  logIndex: number | null;
}

export type RevocationImport =
  { ok: true; changed: boolean; stored: StoredRevocationList; signer: string } | { ok: false; error: string };

export interface RevocationVerifyOptions {
  /** The pinned revocation key(s); only `revocation` role keys are accepted. */
  keys: KeyLookup;
  trustedRoot: LoadedTrustedRoot;
  now: Date;
}

/** Checks a revocation-list bundle on its own (signature by a pinned key, payload type, schema). */
export function verifyRevocationBundle(
  input: unknown,
  opts: RevocationVerifyOptions,
): { ok: true; list: RevocationList; digest: string; signer: string } | { ok: false; error: string } {
  const v = verifyBundle(input, { ...opts, roles: ["revocation"], requireLog: false, ignoreUnknownLogs: true });
  if (!v.ok) return { ok: false, error: `revocation list signature: ${v.reason}` };
  if (v.value.payloadType !== REVOCATION_PAYLOAD_TYPE || !v.value.payload) {
    return { ok: false, error: `bundle is not a revocation list (payload type ${v.value.payloadType ?? "none"})` };
  }
  const p = parseRevocationList(v.value.payload);
  if (!p.ok) return { ok: false, error: p.error };
  return { ok: true, list: p.list, digest: sha256Hex(v.value.payload), signer: v.value.signer };
}

interface Row {
  version: number;
  digest: string;
  bundle_json: string;
  log_index: number | null;
}

export class RevocationListTamperedError extends Error {}

export class RevocationStore {
  private verified: { raw: string; value: StoredRevocationList } | null = null;
  private anchored: RevocationAnchorContent | null;

  constructor(
    private readonly db: Database.Database,
    private readonly log: TransparencyLog | null,
    private readonly now: () => Date = () => new Date(),
    /** Enrolled keys; when given, the stored list is re-checked on read so a database edit fails closed. */
    private readonly keys: (() => KeyLookup) | null = null,
    /** The highest published list, signed, in a file outside the database (see revocation-anchor.ts). */
    private readonly anchor: RevocationAnchor | null = null,
  ) {
    this.anchored = anchor?.read() ?? null;
    // First start with an anchor (an upgrade): anchor what the database holds now.
    const row = anchor && !this.anchored ? this.latestRow() : undefined;
    if (anchor && row) {
      this.anchored = {
        version: row.version,
        digest: row.digest,
        logIndex: row.log_index,
        bundle: JSON.parse(row.bundle_json) as SerializedBundle,
      };
      anchor.write(this.anchored);
    }
  }

  /**
   * The database's list against the anchored one: a list missing from the database (rows deleted, an
   * old copy restored) or a different list under the anchored version. Empty when they agree.
   */
  anchorProblems(): string[] {
    const a = this.anchored;
    if (!a) return [];
    const row = this.latestRow();
    if (!row || row.version < a.version)
      return [
        `revocation list: the database's newest is ${row ? `v${row.version}` : "none"}, but v${a.version} was published (anchored outside the database); the anchored list stays in force`,
      ];
    if (row.version === a.version && row.digest !== a.digest)
      return [`revocation list v${a.version} in the database differs from the anchored one`];
    return [];
  }

  private latestRow(): Row | undefined {
    return cachedStatement(
      this.db,
      "SELECT version, digest, bundle_json, log_index FROM trust_revocation_lists ORDER BY version DESC LIMIT 1",
    ).get() as Row | undefined;
  }

  current(): StoredRevocationList | null {
    let row = this.latestRow();
    const a = this.anchored;
    // Deleting rows must not un-revoke: the anchored (signed) list wins over an older database.
    if (a && (!row || row.version < a.version))
      row = { version: a.version, digest: a.digest, bundle_json: JSON.stringify(a.bundle), log_index: a.logIndex };
    else if (a && row && row.version === a.version && row.digest !== a.digest)
      throw new RevocationListTamperedError(`stored revocation list v${row.version} differs from the anchored one`);
    if (!row) return null;
    if (this.verified?.raw === row.bundle_json) return this.verified.value;
    const bundle = JSON.parse(row.bundle_json) as SerializedBundle;
    const payload = Buffer.from(bundle.dsseEnvelope?.payload ?? "", "base64");
    const p = parseRevocationList(payload);
    if (!p.ok)
      throw new RevocationListTamperedError(`stored revocation list v${row.version} does not parse: ${p.error}`);
    if (p.list.version !== row.version || sha256Hex(payload) !== row.digest) {
      throw new RevocationListTamperedError(
        `stored revocation list v${row.version} does not match its recorded version and digest`,
      );
    }
    if (this.keys) {
      const problem = storedSignatureProblem(bundle, payload, this.keys());
      if (problem) throw new RevocationListTamperedError(`stored revocation list v${row.version}: ${problem}`);
    }
    const value = { version: row.version, list: p.list, bundle, digest: row.digest, logIndex: row.log_index };
    this.verified = { raw: row.bundle_json, value };
    return value;
  }

  /** Signs and stores the next version. `entries` replaces the list; use `withEntries` to add or remove. */
  async publish(key: SigningKey, entries: RevocationEntry[], validForMs: number): Promise<StoredRevocationList> {
    const issued = this.now();
    const list = RevocationList.parse({
      version: (this.current()?.version ?? 0) + 1,
      issuedAt: issued.toISOString(),
      expiresAt: new Date(issued.getTime() + validForMs).toISOString(),
      entries,
    });
    const payload = Buffer.from(JSON.stringify(list), "utf8");
    const bundle = await signDsse(
      payload,
      REVOCATION_PAYLOAD_TYPE,
      key,
      this.log ? [logWitness(this.log, "revocation_list")] : [],
    );
    const logIndex = bundle.verificationMaterial.tlogEntries[0]
      ? Number(bundle.verificationMaterial.tlogEntries[0].logIndex)
      : null;
    return this.store(list, bundle, sha256Hex(payload), logIndex);
  }

  /** Verifies and stores a list from elsewhere; same version + same digest is an idempotent no-op. */
  import(input: unknown, opts: RevocationVerifyOptions): RevocationImport {
    const json = asJson(input);
    if (!json.ok) return { ok: false, error: `revocation list bundle is ${json.error}` };
    const v = verifyRevocationBundle(json.value, opts);
    if (!v.ok) return v;
    const cur = this.current();
    if (cur && v.list.version < cur.version) {
      return {
        ok: false,
        error: `revocation list version ${v.list.version} is older than the current version ${cur.version}; refusing a rollback`,
      };
    }
    if (cur && v.list.version === cur.version) {
      if (cur.digest === v.digest) return { ok: true, changed: false, stored: cur, signer: v.signer };
      return {
        ok: false,
        error: `a different revocation list with the current version ${cur.version} exists; refusing a split view`,
      };
    }
    const bundle = json.value as SerializedBundle;
    const logIndex = this.log
      ? this.log.appendEvent("revocation_list", {
          version: v.list.version,
          digest: v.digest,
          imported: true,
          signer: v.signer,
        }).index
      : null;
    return { ok: true, changed: true, stored: this.store(v.list, bundle, v.digest, logIndex), signer: v.signer };
  }

  private store(
    list: RevocationList,
    bundle: SerializedBundle,
    digest: string,
    logIndex: number | null,
  ): StoredRevocationList {
    this.db
      .prepare(
        "INSERT INTO trust_revocation_lists (version, issued_at, expires_at, digest, bundle_json, stored_at, log_index) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        list.version,
        list.issuedAt,
        list.expiresAt,
        digest,
        JSON.stringify(bundle),
        this.now().toISOString(),
        logIndex,
      );
    if (this.anchor && (!this.anchored || list.version > this.anchored.version)) {
      this.anchored = { version: list.version, digest, logIndex, bundle };
      this.anchor.write(this.anchored);
    }
    return { version: list.version, list, bundle, digest, logIndex };
  }
}

/** Helpers for the REST/CLI "revoke" verb: the next entry list from the current one. */
export function withEntries(
  current: RevocationList | null,
  add: RevocationEntry[],
  remove: (e: RevocationEntry) => boolean = () => false,
): RevocationEntry[] {
  return [...(current?.entries ?? []).filter((e) => !remove(e)), ...add];
}

/**
 * Re-check of a list we verified when it was stored: still signed by an enrolled, unrevoked revocation
 * key. Deliberately not the full time-aware check: rotating the revocation key must not void old lists.
 */
function storedSignatureProblem(bundle: SerializedBundle, payload: Buffer, keys: KeyLookup): string | null {
  const hint = bundle.verificationMaterial?.publicKey?.hint;
  const sig = bundle.dsseEnvelope?.signatures?.[0]?.sig;
  const key = hint ? keys(hint) : undefined;
  if (!key || key.role !== "revocation" || key.revokedAt) return "not signed by an enrolled revocation key";
  const pae = dsse.preAuthEncoding(bundle.dsseEnvelope!.payloadType, payload);
  return sig && verify("sha256", pae, key.publicKey, Buffer.from(sig, "base64"))
    ? null
    : "signature does not verify (edited in the database?)";
}
