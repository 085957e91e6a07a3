// `esphome-forge verify FIRMWARE --bundle FILE [--proof FILE] [--trusted-root FILE] [--key FILE]`:
// a complete offline check of a firmware file, printing the verdict and why. Strict by default: it says
// VERIFIED only for a named device (--device), against a revocation list (or an explicit, printed
// --no-revocation-check) and a rollback floor (--min-build-sequence, or an explicit --allow-rollback);
// a revocation list older than one seen before (the state file) or --min-revocation-version is refused.
// Exit codes: 0 verified, 1 not verified (any other trust state), 2 usage or I/O error.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { TRUST_STATES, type TrustState } from "@esphome-forge/shared";
import { errorMessage, parseJson, sha256Hex, shortHint } from "../encoding.js";
import { evaluateTrust } from "../policy/evaluator.js";
import type { ExternalSigner } from "../policy/verdict.js";
import { keyLookupOf, type KeyRole, type TrustedKey } from "../keys/key-registry.js";
import { keyHint, publicKeyFromPem } from "../keys/keys.js";
import { verifyProofFile } from "../log/log-proof.js";
import type { RevocationList } from "../revocation/revocation.js";
import { verifyRevocationBundle } from "../revocation/revocation-store.js";
import { classifyBundles } from "../attest/bundle-kind.js";
import { emptyTrustedRoot, loadTrustedRoot, type LoadedTrustedRoot } from "../keys/trusted-root.js";
import { defaultStatePath, VerifyState } from "./verify-state.js";

export const EXIT_VERIFIED = 0;
export const EXIT_NOT_VERIFIED = 1;
export const EXIT_ERROR = 2;

export const VERIFY_USAGE = `Usage: esphome-forge verify FIRMWARE --bundle FILE [options]
  --bundle FILE           Sigstore bundle: the Forge approval, plus optionally the worker's provenance,
                          or a cosign / CI bundle (repeatable)
  --key FILE              public key (PEM) trusted to approve firmware: the sidecar's, or a cosign key
                          for firmware signed outside Forge (repeatable)
  --trusted-root FILE     trusted_root.json with the Forge log key (and any CI signer's CA and log)
  --proof FILE            log proof from the sidecar API: the entry is still in a newer signed log head
  --device ID             device the firmware is meant for (default: the one named in the approval)
  --worker-key ID=FILE    a worker's public key, to re-check its provenance too (repeatable)
  --external-key FILE     a cosign key trusted only for firmware signed outside Forge (repeatable)
  --keyless-issuer URL    with --keyless-identity: accept keyless CI signatures (e.g. GitHub Actions)
  --keyless-identity RE   certificate identity pattern, anchored (e.g. https://github\\.com/me/fw/.*)
  --revocations FILE      signed revocation list bundle, checked with --revocation-key
  --revocation-key FILE   public key the revocation list must be signed with
  --no-revocation-check   verify without a revocation list (said in the verdict)
  --min-revocation-version N
                          refuse a revocation list older than this version
  --state FILE            remembers the newest revocation list seen per key, and refuses older ones
                          (default $FORGE_VERIFY_STATE, else ~/.local/state/esphome-forge/verify.json)
  --min-build-sequence N  refuse approvals older than this build (anti-rollback)
  --allow-rollback        verify without a rollback floor (said in the verdict)
  --json                  print the verdict as JSON
VERIFIED needs --device, a revocation list or --no-revocation-check, and --min-build-sequence or
--allow-rollback; without them the answer is NOT VERIFIED (INCOMPLETE), naming what is missing.
Exit codes: 0 verified, 1 not verified, 2 error.
`;

class UsageError extends Error {}
/** An older revocation list than one already seen: not a usage error, a refusal (exit 1). */
class RevocationRollbackError extends Error {}

export interface VerifyIo {
  out: (s: string) => void;
  err: (s: string) => void;
  now?: () => Date;
}

const stdio: VerifyIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

function pinnedKey(path: string, role: KeyRole, owner: string): TrustedKey {
  const pem = readFile(path, "key").toString("utf8");
  let publicKey;
  try {
    publicKey = publicKeyFromPem(pem);
  } catch (err) {
    throw new UsageError(`${path} is not a P-256 public key: ${errorMessage(err)}`);
  }
  const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
  return {
    hint: keyHint(publicKey),
    role,
    owner,
    publicKey,
    publicPem,
    enrolledAt: new Date(0),
    retiredAt: null,
    revokedAt: null,
    revokeReason: null,
  };
}

function loadRoot(path: string | undefined): LoadedTrustedRoot {
  const json = path ? parseJson(readFile(path, "trusted root")) : { ok: true as const, value: emptyTrustedRoot() };
  if (!json.ok) throw new UsageError(`trusted root ${path} is ${json.error}`);
  const root = loadTrustedRoot(json.value);
  if (!root.ok) throw new UsageError(`${path}: ${root.error}`);
  return root.value;
}

export async function verifyCommand(argv: string[], io: VerifyIo = stdio): Promise<number> {
  try {
    return run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`esphome-forge verify: ${err.message}\n`);
      return EXIT_ERROR;
    }
    if (err instanceof RevocationRollbackError) {
      io.out(`NOT VERIFIED (REVOCATION LIST ROLLBACK)\n  why:      ${err.message}\n`);
      return EXIT_NOT_VERIFIED;
    }
    io.err(`esphome-forge verify: unexpected error: ${errorMessage(err)}\n`);
    return EXIT_ERROR;
  }
}

function run(argv: string[], io: VerifyIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        bundle: { type: "string", multiple: true },
        key: { type: "string", multiple: true },
        "trusted-root": { type: "string" },
        proof: { type: "string" },
        device: { type: "string" },
        "worker-key": { type: "string", multiple: true },
        "external-key": { type: "string", multiple: true },
        "keyless-issuer": { type: "string" },
        "keyless-identity": { type: "string" },
        revocations: { type: "string" },
        "revocation-key": { type: "string" },
        "min-build-sequence": { type: "string" },
        "no-revocation-check": { type: "boolean", default: false },
        "min-revocation-version": { type: "string" },
        state: { type: "string" },
        "allow-rollback": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${errorMessage(err)}\n${VERIFY_USAGE}`);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.out(VERIFY_USAGE);
    return EXIT_VERIFIED;
  }
  if (positionals.length !== 1 || !o.bundle?.length)
    throw new UsageError(`expected one FIRMWARE file and --bundle\n${VERIFY_USAGE}`);
  const now = io.now?.() ?? new Date();
  const firmware = readFile(positionals[0]!, "firmware");
  const bundles = classifyBundles(o.bundle.map((p) => ({ path: p, bytes: readFile(p, "bundle") })));
  const trustedRoot = loadRoot(o["trusted-root"]);

  const keys: TrustedKey[] = (o.key ?? []).map((p) => pinnedKey(p, "sidecar", "pinned key"));
  // A pinned key also vouches for firmware signed outside Forge with it (cosign sign-blob --key).
  const external: ExternalSigner[] = keys.map((k) => ({ name: `key ${shortHint(k.hint)}`, key: k }));
  for (const spec of o["worker-key"] ?? []) {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new UsageError(`--worker-key expects ID=FILE, got "${spec}"`);
    keys.push(pinnedKey(spec.slice(eq + 1), "worker", spec.slice(0, eq)));
  }
  for (const p of o["external-key"] ?? []) {
    const k = pinnedKey(p, "external", p);
    external.push({ name: `key ${shortHint(k.hint)}`, key: k });
  }
  if (!!o["keyless-issuer"] !== !!o["keyless-identity"])
    throw new UsageError("--keyless-issuer and --keyless-identity go together");
  if (o["keyless-issuer"]) {
    external.push({
      name: "keyless CI",
      keyless: { issuer: o["keyless-issuer"], subjectPattern: o["keyless-identity"]! },
    });
  }
  if (keys.length === 0 && external.length === 0)
    throw new UsageError("no trust anchor: pass --key (the sidecar's public key) or an external signer");

  let revocations: RevocationList | null = null;
  if (o.revocations) {
    if (!o["revocation-key"]) throw new UsageError("--revocations needs --revocation-key");
    const rk = pinnedKey(o["revocation-key"], "revocation", "pinned revocation key");
    const r = verifyRevocationBundle(readFile(o.revocations, "revocation list"), {
      keys: keyLookupOf([rk]),
      trustedRoot,
      now,
    });
    if (!r.ok) throw new UsageError(`revocation list ${o.revocations}: ${r.error}`);
    const floor = Math.max(intOption(o["min-revocation-version"], "--min-revocation-version") ?? 0, 0);
    const state = new VerifyState(o.state ?? defaultStatePath());
    const seen = Math.max(floor, state.seen(rk.hint));
    if (r.list.version < seen)
      throw new RevocationRollbackError(
        `revocation list ${o.revocations} is version ${r.list.version}, older than version ${seen} ${seen === floor ? "required by --min-revocation-version" : "seen before"}: refusing a rollback of the list`,
      );
    state.record(rk.hint, r.list.version);
    revocations = r.list;
  }
  const minSeq = intOption(o["min-build-sequence"], "--min-build-sequence");
  if (o.revocations && o["no-revocation-check"])
    throw new UsageError("--revocations and --no-revocation-check contradict each other");
  if (minSeq !== null && o["allow-rollback"])
    throw new UsageError("--min-build-sequence and --allow-rollback contradict each other");

  const evaluation = evaluateTrust(
    {
      deviceId: o.device ?? bundles.approvalDevice ?? "(any device)",
      firmware: { bytes: firmware },
      approval: bundles.approval,
      build: bundles.build,
      external: bundles.approval ? undefined : bundles.external,
      minBuildSequence: minSeq,
    },
    { trustedRoot, keys: keyLookupOf(keys), revocations, requireRevocationList: false, externalSigners: external, now },
  );
  let { state, reason } = evaluation.verdict;
  const details: string[] = [...evaluation.notes, ...bundles.notes];
  if (o.proof && (state === "verified" || state === "stale")) {
    const proof = parseJson(readFile(o.proof, "proof"));
    const check =
      proof.ok && bundles.approvalParsed
        ? verifyProofFile(proof.value, bundles.approvalParsed, trustedRoot.logKeys)
        : { ok: false as const, error: proof.ok ? "--proof needs a Forge approval bundle" : `proof is ${proof.error}` };
    if (check.ok) details.push(`log proof: ${check.detail}`);
    else [state, reason] = ["invalid", `log proof: ${check.error}`];
  }
  if (!o["trusted-root"]) details.push("no --trusted-root: log entries cannot be checked");
  // Strict by default: what was not checked keeps the answer from being VERIFIED, or is said in it.
  const missing: string[] = [];
  if (!o.device)
    missing.push(
      `--device (the device it is for${bundles.approvalDevice ? `; the approval names "${bundles.approvalDevice}"` : ""})`,
    );
  if (!revocations && !o["no-revocation-check"])
    missing.push("--revocations with --revocation-key, or --no-revocation-check");
  if (minSeq === null && !o["allow-rollback"])
    missing.push("--min-build-sequence (the build the device runs), or --allow-rollback");
  const waived = [
    ...(o["no-revocation-check"] ? ["without a revocation check"] : []),
    ...(o["allow-rollback"] ? ["rollback allowed"] : []),
  ];
  const incomplete = state === "verified" && missing.length > 0;
  if (incomplete) reason = `${reason}; but VERIFIED needs ${missing.join("; ")}`;
  print(io, o.json, {
    file: positionals[0]!,
    sha256: sha256Hex(firmware),
    state,
    reason,
    evaluation,
    details,
    incomplete,
    waived,
  });
  return state === "verified" && !incomplete ? EXIT_VERIFIED : EXIT_NOT_VERIFIED;
}

function intOption(v: string | undefined, name: string): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number`);
  return n;
}

function print(
  io: VerifyIo,
  json: boolean,
  r: {
    file: string;
    sha256: string;
    state: TrustState;
    reason: string;
    evaluation: ReturnType<typeof evaluateTrust>;
    details: string[];
    incomplete: boolean;
    waived: string[];
  },
): void {
  const v = r.evaluation.verdict;
  const verified = r.state === "verified" && !r.incomplete;
  if (json) {
    io.out(
      `${JSON.stringify({ ...v, state: r.state, verified, incomplete: r.incomplete, waived: r.waived, reason: r.reason, file: r.file, logIndexes: r.evaluation.logIndexes, notes: r.details }, null, 2)}\n`,
    );
    return;
  }
  const label = r.incomplete
    ? "INCOMPLETE"
    : TRUST_STATES.includes(r.state)
      ? r.state.toUpperCase().replace("_", " ")
      : r.state;
  const head = verified ? `VERIFIED${r.waived.length ? ` (${r.waived.join(", ")})` : ""}` : `NOT VERIFIED (${label})`;
  const lines = [`${head}  ${r.file}`, `  sha256:   ${r.sha256}`, `  why:      ${r.reason}`];
  if (v.signer) lines.push(`  signer:   ${v.signer}`);
  if (r.evaluation.approval)
    lines.push(
      `  build:    #${r.evaluation.approval.buildSequence} for ${r.evaluation.approval.deviceId}, ESPHome ${r.evaluation.approval.esphomeVersion}`,
    );
  if (r.evaluation.logIndexes.length) lines.push(`  log:      index ${r.evaluation.logIndexes.join(", ")}`);
  for (const d of r.details) lines.push(`  note:     ${d}`);
  io.out(`${lines.join("\n")}\n`);
}
