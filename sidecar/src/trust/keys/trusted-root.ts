// A local Sigstore trusted_root.json: our log key(s) (current and rotated-out, each with its validity
// window), optionally merged with a supplied root (e.g. a CI signer's Fulcio CA and Rekor). This file is
// the only trust anchor verification needs, which is what makes it fully offline.
import { createPublicKey, type KeyObject } from "node:crypto";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import type { LogVerifierKey } from "../log/checkpoint.js";
import { keyId, spkiDer } from "./keys.js";

export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

export interface LogKeyRecord {
  /** Checkpoint signature name; becomes the host of the (never contacted) baseUrl. */
  name: string;
  publicKey: KeyObject;
  validFrom: Date;
  validTo?: Date | null;
}

export interface TrustedRootJson {
  mediaType: string;
  tlogs: unknown[];
  certificateAuthorities: unknown[];
  ctlogs: unknown[];
  timestampAuthorities: unknown[];
  [k: string]: unknown;
}

export function logBaseUrl(name: string): string {
  return `https://${name}`;
}

export function buildTrustedRoot(logs: readonly LogKeyRecord[], base?: TrustedRootJson): TrustedRootJson {
  const ours = logs.map((l) => ({
    baseUrl: logBaseUrl(l.name),
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: spkiDer(l.publicKey).toString("base64"),
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start: l.validFrom.toISOString(), ...(l.validTo ? { end: l.validTo.toISOString() } : {}) },
    },
    logId: { keyId: keyId(l.publicKey).toString("base64") },
  }));
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [...(base?.tlogs ?? []), ...ours],
    certificateAuthorities: [...(base?.certificateAuthorities ?? [])],
    ctlogs: [...(base?.ctlogs ?? [])],
    timestampAuthorities: [...(base?.timestampAuthorities ?? [])],
  };
}

export interface LoadedTrustedRoot {
  root: TrustedRoot;
  json: TrustedRootJson;
  /** Log keys for checking checkpoints in proof files; name = baseUrl host, as sigstore-js matches it. */
  logKeys: LogVerifierKey[];
}

export type LoadResult = { ok: true; value: LoadedTrustedRoot } | { ok: false; error: string };

export function loadTrustedRoot(json: unknown): LoadResult {
  if (typeof json !== "object" || json === null) return { ok: false, error: "trusted root is not a JSON object" };
  const j = json as Partial<TrustedRootJson>;
  if (typeof j.mediaType !== "string" || !j.mediaType.startsWith("application/vnd.dev.sigstore.trustedroot")) {
    return { ok: false, error: `not a Sigstore trusted root (mediaType ${String(j.mediaType)})` };
  }
  try {
    const root = TrustedRoot.fromJSON(json);
    const logKeys: LogVerifierKey[] = [];
    for (const t of root.tlogs) {
      if (!t.publicKey?.rawBytes) continue;
      let host: string;
      try {
        host = new URL(t.baseUrl).host;
      } catch {
        host = t.baseUrl;
      }
      logKeys.push({
        name: host,
        publicKey: createPublicKey({ key: t.publicKey.rawBytes, format: "der", type: "spki" }),
      });
    }
    const normalized: TrustedRootJson = {
      ...j,
      mediaType: j.mediaType,
      certificateAuthorities: j.certificateAuthorities ?? [],
      ctlogs: j.ctlogs ?? [],
      timestampAuthorities: j.timestampAuthorities ?? [],
      tlogs: j.tlogs ?? [],
    };
    return { ok: true, value: { root, json: normalized, logKeys } };
  } catch (err) {
    return { ok: false, error: `trusted root does not parse (${(err as Error).message})` };
  }
}

/** The trust root with no logs, CAs or TSAs: for bundles checked by pinned keys alone. */
export function emptyTrustedRoot(): TrustedRootJson {
  return buildTrustedRoot([]);
}
