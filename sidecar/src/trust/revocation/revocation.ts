// The revocation list model and matching. Pure: parsing, version and expiry rules, and "does any entry
// revoke this attestation?". Signing, import and storage live in revocation-store.ts.
import { z } from "zod";
import { shortHint } from "../encoding.js";

export const REVOCATION_PAYLOAD_TYPE = "application/vnd.esphome-forge.revocation-list+json";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected an ISO date");
const Version = z
  .string()
  .regex(/^\d{4}\.\d{1,2}\.\d+(?:[a-z]+\d*)?$|^dev$/, "expected an ESPHome version such as 2026.4.0");
const Common = { reason: z.string().min(1).max(500), since: Iso.optional() };

export const RevocationEntry = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("artifact"), sha256: Sha256, ...Common }),
  z.object({ kind: z.literal("signer"), keyHint: z.string().min(1), ...Common }),
  z.object({ kind: z.literal("worker"), workerId: z.string().min(1), ...Common }),
  // OSV-style range: `introduced` inclusive, `fixed` exclusive; either may be open.
  z
    .object({
      kind: z.literal("esphome_version"),
      introduced: Version.optional(),
      fixed: Version.optional(),
      ...Common,
    })
    .refine(
      (e) => e.introduced !== undefined || e.fixed !== undefined,
      "a version range needs introduced and/or fixed",
    ),
  z.object({ kind: z.literal("config"), sha256: Sha256, ...Common }),
]);
export type RevocationEntry = z.infer<typeof RevocationEntry>;

export const RevocationList = z
  .object({
    version: z.number().int().positive(),
    issuedAt: Iso,
    expiresAt: Iso,
    entries: z.array(RevocationEntry).max(100_000),
  })
  .refine((l) => Date.parse(l.expiresAt) > Date.parse(l.issuedAt), "expiresAt must be after issuedAt");
export type RevocationList = z.infer<typeof RevocationList>;

/** What an attestation says about a build, as the matcher needs it. */
export interface AttestationFacts {
  firmwareSha256: string;
  signerHints: string[];
  workerId: string | null;
  esphomeVersion: string | null;
  configSha256: string | null;
  /** Log-proven time the build was attested; null when unproven (then `since` cannot spare it). */
  attestedAt: Date | null;
}

export interface RevocationMatch {
  entry: RevocationEntry;
  reason: string;
}

/** ESPHome versions: YYYY.M.P with an optional pre-release suffix (b1, dev…) sorting before the release. */
export function compareEsphomeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, number, string] => {
    if (v === "dev") return [Infinity, 0, 0, 1, ""];
    const m = /^(\d+)\.(\d+)\.(\d+)([a-z]+\d*)?$/.exec(v);
    if (!m) return [NaN, 0, 0, 0, v];
    return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ? 0 : 1, m[4] ?? ""];
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] as number) - (pb[i] as number);
    if (d !== 0 && !Number.isNaN(d)) return d < 0 ? -1 : 1;
  }
  return pa[4] < pb[4] ? -1 : pa[4] > pb[4] ? 1 : 0;
}

export function versionInRange(v: string, introduced?: string, fixed?: string): boolean {
  if (introduced !== undefined && compareEsphomeVersions(v, introduced) < 0) return false;
  if (fixed !== undefined && compareEsphomeVersions(v, fixed) >= 0) return false;
  return true;
}

/**
 * For signer and worker entries `since` is the compromise time: attestations the log proves older stay
 * valid. Artifact, version and config entries condemn the build itself, whenever it was made.
 */
function sparedBySince(e: RevocationEntry, attestedAt: Date | null): boolean {
  if (!e.since || (e.kind !== "signer" && e.kind !== "worker")) return false;
  return attestedAt !== null && attestedAt.getTime() < Date.parse(e.since);
}

export function findRevocation(list: RevocationList, facts: AttestationFacts): RevocationMatch | null {
  for (const e of list.entries) {
    let what: string | null = null;
    switch (e.kind) {
      case "artifact":
        if (e.sha256 === facts.firmwareSha256) what = `firmware ${e.sha256.slice(0, 12)}… is revoked`;
        break;
      case "signer":
        if (facts.signerHints.includes(e.keyHint)) what = `signing key ${shortHint(e.keyHint)} is revoked`;
        break;
      case "worker":
        if (facts.workerId === e.workerId) what = `worker ${e.workerId} is revoked`;
        break;
      case "esphome_version":
        if (facts.esphomeVersion && versionInRange(facts.esphomeVersion, e.introduced, e.fixed)) {
          what = `ESPHome ${facts.esphomeVersion} is in the revoked range [${e.introduced ?? "any"}, ${e.fixed ?? "any"})`;
        }
        break;
      case "config":
        if (facts.configSha256 === e.sha256) what = `config ${e.sha256.slice(0, 12)}… is revoked`;
        break;
    }
    if (what && !sparedBySince(e, facts.attestedAt)) return { entry: e, reason: `${what}: ${e.reason}` };
  }
  return null;
}

export function isExpired(list: Pick<RevocationList, "expiresAt">, now: Date): boolean {
  return now.getTime() >= Date.parse(list.expiresAt);
}

export type ListParse = { ok: true; list: RevocationList } | { ok: false; error: string };

export function parseRevocationList(payload: Uint8Array | string): ListParse {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8"));
  } catch {
    return { ok: false, error: "revocation list is not JSON" };
  }
  const r = RevocationList.safeParse(json);
  if (!r.success)
    return {
      ok: false,
      error: `malformed revocation list (${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`,
    };
  return { ok: true, list: r.data };
}
