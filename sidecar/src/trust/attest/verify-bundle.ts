// Offline verification of one Sigstore bundle with @sigstore/verify: enrolled keys by hint (with their
// validity windows) or a keyless identity policy, log entries against our local trusted root. Never
// throws: every failure comes back as a TrustState and a reason a person can act on.
import { assertBundle, bundleFromJSON, type Bundle, type SerializedBundle } from "@sigstore/bundle";
import {
  PolicyError,
  toSignedEntity,
  toTrustMaterial,
  VerificationError,
  Verifier,
  type VerificationPolicy,
} from "@sigstore/verify";
import { createPublicKey } from "node:crypto";
import type { TrustState } from "@esphome-forge/shared";
import { errorMessage, parseJson, shortHint } from "../encoding.js";
import { keyValidAt, type KeyLookup, type KeyRole, type TrustedKey } from "../keys/key-registry.js";
import { keyHint } from "../keys/keys.js";
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, type Statement } from "./statements.js";
import type { LoadedTrustedRoot } from "../keys/trusted-root.js";

/** Keyless signers (CI) are accepted only under an explicit identity: issuer + anchored SAN pattern. */
export interface KeylessIdentity {
  issuer: string;
  /** Regular expression source, anchored for you (`^(?:…)$`): a bare substring match is a known pitfall. */
  subjectPattern: string;
  /** SCTs required from the root's CT logs; 0 for private or test CAs without a CT log. */
  ctlogThreshold?: number;
}

export interface BundleVerifyOptions {
  trustedRoot: LoadedTrustedRoot;
  keys: KeyLookup;
  /** Which enrolled roles may have signed this kind of bundle. */
  roles: readonly KeyRole[];
  /** Require at least one verified log entry (approvals: yes; a worker's fresh bundle: no). */
  requireLog: boolean;
  /** Message-signature bundles sign the bytes themselves, so they need them. */
  artifact?: Buffer;
  keyless?: readonly KeylessIdentity[];
  /** Drop log entries from logs outside the trusted root instead of failing (for imports between sidecars). */
  ignoreUnknownLogs?: boolean;
  now: Date;
}

export interface VerifiedBundle {
  bundle: Bundle;
  /** The enrolled key, or null for a keyless signer. */
  key: TrustedKey | null;
  /** Who signed, for people: "sidecar key Ab3…" or the certificate's identity. */
  signer: string;
  /** The earliest log-proven signing time, if any. */
  signedAt: Date | null;
  logIndexes: number[];
  /** For DSSE bundles: the raw payload and, for in-toto, the parsed statement. */
  payload: Buffer | null;
  payloadType: string | null;
  statement: Statement | null;
}

export type BundleVerdict = { ok: true; value: VerifiedBundle } | { ok: false; state: TrustState; reason: string };

const fail = (state: TrustState, reason: string): BundleVerdict => ({ ok: false, state, reason });

/** Accepts the bundle as text, bytes or parsed JSON; anything malformed is `invalid`, not an exception. */
export function parseBundle(
  input: string | Uint8Array | SerializedBundle | unknown,
): { ok: true; bundle: Bundle } | { ok: false; reason: string } {
  let json: unknown = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const p = parseJson(input);
    if (!p.ok) return { ok: false, reason: `bundle is ${p.error}` };
    json = p.value;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return { ok: false, reason: "bundle is not a JSON object" };
  try {
    const bundle = bundleFromJSON(json);
    assertBundle(bundle);
    return { ok: true, bundle };
  } catch (err) {
    return { ok: false, reason: `not a valid Sigstore bundle (${errorMessage(err)})` };
  }
}

function mapError(
  err: unknown,
  keyProblem: { state: TrustState; reason: string } | null,
): { state: TrustState; reason: string } {
  if (keyProblem) return keyProblem;
  if (err instanceof PolicyError)
    return { state: "unknown_signer", reason: `signer identity does not match the policy (${err.message})` };
  if (err instanceof VerificationError) {
    switch (err.code) {
      case "SIGNATURE_ERROR":
        return {
          state: "invalid",
          reason: "signature does not match the signed content: the statement or firmware was altered after signing",
        };
      case "TLOG_BODY_ERROR":
        return {
          state: "invalid",
          reason: `the signed content does not match its log entry: altered after signing (${err.message})`,
        };
      case "PUBLIC_KEY_ERROR":
      case "CERTIFICATE_ERROR":
        return { state: "unknown_signer", reason: `signer is not trusted (${err.message})` };
      default:
        return { state: "invalid", reason: `${err.code}: ${err.message}` };
    }
  }
  return { state: "invalid", reason: `verification failed (${errorMessage(err)})` };
}

/** Hints of verifier keys seen in log bodies (parsing a key costs more than the rest of the check). */
const bodyKeyHints = new Map<string, string>();

/** Key hint of the verifier a Rekor v1 dsse / hashedrekord body names, or null. */
function logBodyKeyHint(body: Buffer): string | null {
  try {
    const b = JSON.parse(body.toString("utf8")) as {
      spec?: { signatures?: { verifier?: string }[]; signature?: { publicKey?: { content?: string } } };
    };
    const pem = b.spec?.signatures?.[0]?.verifier ?? b.spec?.signature?.publicKey?.content;
    if (!pem) return null;
    let hint = bodyKeyHints.get(pem);
    if (hint === undefined) {
      hint = keyHint(createPublicKey(Buffer.from(pem, "base64")));
      if (bodyKeyHints.size >= 10_000) bodyKeyHints.clear();
      bodyKeyHints.set(pem, hint);
    }
    return hint;
  } catch {
    return null;
  }
}

/** The trusted root's log and CA authorities, built once per loaded root (they hold parsed keys). */
const authorities = new WeakMap<LoadedTrustedRoot, Omit<ReturnType<typeof toTrustMaterial>, "publicKey">>();

function authoritiesOf(root: LoadedTrustedRoot): Omit<ReturnType<typeof toTrustMaterial>, "publicKey"> {
  let a = authorities.get(root);
  if (!a) {
    const { publicKey: _none, ...rest } = toTrustMaterial(root.root, () => {
      throw new Error("unused");
    });
    authorities.set(root, (a = rest));
  }
  return a;
}

export function verifyBundle(input: unknown, opts: BundleVerifyOptions): BundleVerdict {
  const parsed = parseBundle(input);
  if (!parsed.ok) return fail("invalid", parsed.reason);
  const bundle = parsed.bundle;
  const vm = bundle.verificationMaterial;

  // Name unknown logs plainly instead of letting them surface as a checkpoint error.
  const knownLogs = opts.trustedRoot.root.tlogs
    .map((t) => (t.checkpointKeyId ?? t.logId)?.keyId)
    .filter((k): k is Buffer => !!k);
  if (opts.ignoreUnknownLogs) {
    vm.tlogEntries = vm.tlogEntries.filter((e) =>
      knownLogs.some((k) => !!e.logId && k.equals(e.logId.keyId)),
    ) as typeof vm.tlogEntries;
  }
  for (const e of vm.tlogEntries) {
    if (!knownLogs.some((k) => k.equals(e.logId.keyId))) {
      return fail(
        "unknown_signer",
        `log entry ${e.logIndex} comes from log ${e.logId.keyId.toString("hex").slice(0, 16)}…, which is not in the trusted root`,
      );
    }
  }
  if (opts.requireLog && vm.tlogEntries.length === 0)
    return fail("invalid", "bundle carries no log entry, but one is required");

  let key: TrustedKey | null = null;
  let keyless: KeylessIdentity | null = null;
  let keyProblem: { state: TrustState; reason: string } | null = null;
  if (vm.content.$case === "publicKey") {
    const hint = vm.content.publicKey.hint;
    key = opts.keys(hint) ?? null;
    if (!key) return fail("unknown_signer", `signed by key ${shortHint(hint)}, which is not enrolled`);
    if (!opts.roles.includes(key.role)) {
      return fail(
        "unknown_signer",
        `key ${shortHint(hint)} is enrolled as a ${key.role} key for ${key.owner}, not as ${opts.roles.join(" or ")}`,
      );
    }
  } else {
    if (!opts.keyless || opts.keyless.length === 0)
      return fail("unknown_signer", "certificate-signed (keyless) bundle, but no keyless signer is trusted");
    if (opts.keyless.length > 1) return fail("invalid", "verifyBundle takes one keyless identity at a time");
    keyless = opts.keyless[0]!;
  }
  if (bundle.content.$case === "messageSignature" && !opts.artifact) {
    return fail("invalid", "a message-signature bundle can only be checked against the firmware bytes");
  }

  const trustMaterial = {
    ...authoritiesOf(opts.trustedRoot),
    publicKey: (hint: string) => {
      const k = opts.keys(hint);
      if (!k)
        throw new VerificationError({ code: "PUBLIC_KEY_ERROR", message: `key ${shortHint(hint)} is not enrolled` });
      return {
        publicKey: k.publicKey,
        validFor: (date: Date) => {
          const c = keyValidAt(k, date, opts.now);
          if (!c.ok) keyProblem ??= { state: c.state, reason: c.reason };
          return c.ok;
        },
      };
    },
  };
  const verifier = new Verifier(trustMaterial, {
    tlogThreshold: opts.requireLog ? 1 : 0,
    ctlogThreshold: keyless ? (keyless.ctlogThreshold ?? 1) : 0,
    // Keyless certificates live minutes: a timestamp must prove the signature fell inside that window.
    timestampThreshold: keyless || opts.requireLog ? 1 : 0,
  });
  const policy: VerificationPolicy | undefined = keyless
    ? { subjectAlternativeName: new RegExp(`^(?:${keyless.subjectPattern})$`), extensions: { issuer: keyless.issuer } }
    : undefined;
  let identity: string | undefined;
  try {
    const signer = verifier.verify(toSignedEntity(bundle, opts.artifact), policy);
    identity = signer.identity?.subjectAlternativeName;
  } catch (err) {
    return { ok: false, ...mapError(err, keyProblem) };
  }

  if (key) {
    // sigstore-js compares signature and digest with the log body but not the key; sigstore-go does.
    for (const e of vm.tlogEntries) {
      if (logBodyKeyHint(e.canonicalizedBody) !== key.hint)
        return fail("invalid", `log entry ${e.logIndex} records a different signing key`);
    }
  }
  const times = vm.tlogEntries.filter((e) => e.inclusionPromise).map((e) => new Date(Number(e.integratedTime) * 1000));
  const signedAt = times.length > 0 ? new Date(Math.min(...times.map((t) => t.getTime()))) : null;
  // Timestamps already passed validFor inside the verifier; without one, the key must be valid now.
  if (key) {
    const c = keyValidAt(key, signedAt, opts.now);
    if (!c.ok) return fail(c.state, c.reason);
  }

  let payload: Buffer | null = null;
  let payloadType: string | null = null;
  let statement: Statement | null = null;
  if (bundle.content.$case === "dsseEnvelope") {
    payload = bundle.content.dsseEnvelope.payload;
    payloadType = bundle.content.dsseEnvelope.payloadType;
    if (payloadType === IN_TOTO_PAYLOAD_TYPE) {
      const s = parseStatement(payload);
      if (!s.ok) return fail("invalid", s.error);
      statement = s.value;
    }
  }
  return {
    ok: true,
    value: {
      bundle,
      key,
      signer: key
        ? `${key.role} key ${shortHint(key.hint)} (${key.owner})`
        : `${identity ?? "unknown identity"} via ${keyless!.issuer}`,
      signedAt,
      logIndexes: vm.tlogEntries.map((e) => Number(e.logIndex)),
      payload,
      payloadType,
      statement,
    },
  };
}
