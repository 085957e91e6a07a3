// The explicit policy under which firmware signed outside Forge (CI) is accepted, kept in the trust
// engine's own table and compiled into the evaluator's ExternalSigner list: a cosign public key pinned
// by the policy, or a keyless CI identity checked against the trusted root the policy supplies.
import type Database from "better-sqlite3";
import { ExternalSigners, type ExternalSignerPolicy } from "@esphome-forge/shared";
import type { ExternalSigner } from "./verdict.js";
import type { TrustedKey } from "../keys/key-registry.js";
import { keyHint, publicKeyFromPem } from "../keys/keys.js";
import { loadTrustedRoot, type TrustedRootJson } from "../keys/trusted-root.js";
import { sha256Hex } from "../encoding.js";

export class ExternalPolicyError extends Error {}

export class ExternalSignerPolicies {
  private compiled: ExternalSigner[] = [];
  private policies: ExternalSignerPolicy[] = [];

  constructor(private readonly db: Database.Database) {
    const row = db.prepare("SELECT policy FROM trust_external_signers WHERE id = 1").get() as
      { policy: string } | undefined;
    if (!row) return;
    try {
      const parsed = ExternalSigners.parse(JSON.parse(row.policy));
      this.compiled = parsed.signers.map(compile);
      this.policies = parsed.signers;
    } catch {
      // Fail closed: a stored policy that no longer reads accepts nothing (firmware reads unknown_signer).
      this.compiled = [];
      this.policies = [];
    }
  }

  list(): ExternalSignerPolicy[] {
    return this.policies;
  }

  signers(): ExternalSigner[] {
    return this.compiled;
  }

  /** Replaces the whole policy; throws ExternalPolicyError naming the signer that is wrong. */
  replace(policies: ExternalSignerPolicy[]): ExternalSignerPolicy[] {
    const names = new Set<string>();
    for (const p of policies) {
      if (names.has(p.name)) throw new ExternalPolicyError(`two external signers are named "${p.name}"`);
      names.add(p.name);
    }
    const compiled = policies.map(compile);
    this.db
      .prepare(
        "INSERT INTO trust_external_signers (id, policy) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET policy = excluded.policy",
      )
      .run(JSON.stringify({ signers: policies }));
    this.compiled = compiled;
    this.policies = policies;
    return policies;
  }
}

function compile(p: ExternalSignerPolicy): ExternalSigner {
  const base: ExternalSigner = {
    name: p.name,
    ...(p.devices ? { devices: p.devices } : {}),
    ...(p.requireLog !== undefined ? { requireLog: p.requireLog } : {}),
  };
  if (p.trustedRoot) {
    const root = loadTrustedRoot(p.trustedRoot as unknown as TrustedRootJson);
    if (!root.ok) throw new ExternalPolicyError(`external signer "${p.name}": trustedRoot: ${root.error}`);
    base.trustedRoot = root.value;
  }
  if (p.keyless)
    return {
      ...base,
      keyless: {
        issuer: p.keyless.issuer,
        subjectPattern: validPattern(p.name, p.keyless.subjectPattern),
        ctlogThreshold: p.keyless.ctlogThreshold,
      },
    };
  let key: TrustedKey;
  try {
    const publicKey = publicKeyFromPem(p.publicKey!);
    const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
    key = {
      hint: keyHint(publicKey),
      role: "external",
      owner: p.name,
      publicKey,
      publicPem,
      enrolledAt: new Date(0),
      retiredAt: null,
      revokedAt: null,
      revokeReason: null,
    };
  } catch (err) {
    throw new ExternalPolicyError(
      `external signer "${p.name}": publicKey is not a P-256 public key (${(err as Error).message})`,
    );
  }
  return { ...base, key };
}

function validPattern(name: string, pattern: string): string {
  try {
    new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new ExternalPolicyError(
      `external signer "${name}": subjectPattern is not a regular expression (${(err as Error).message})`,
    );
  }
  return pattern;
}

/** What the trust log records of an external-signer policy: names, devices, key digests, keyless identities. */
export function externalSignersDetail(stored: readonly ExternalSignerPolicy[]): Record<string, unknown> {
  return {
    signers: stored.map((p) => ({
      name: p.name,
      devices: p.devices ?? null,
      key: p.publicKey ? sha256Hex(p.publicKey) : null,
      keyless: p.keyless ?? null,
    })),
  };
}
