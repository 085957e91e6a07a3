// Shared shapes of the trust evaluation: its inputs, its context, and the verdict builder.
import type { TrustState, TrustVerdict } from "@esphome-forge/shared";
import type { KeylessIdentity } from "../attest/verify-bundle.js";
import type { KeyLookup, TrustedKey } from "../keys/key-registry.js";
import { isExpired, type RevocationList } from "../revocation/revocation.js";
import type { ApprovalFacts, BuildFacts } from "../attest/statements.js";
import type { LoadedTrustedRoot } from "../keys/trusted-root.js";

export interface ExternalSigner {
  /** Shown in verdicts, e.g. "GitHub release workflow". */
  name: string;
  /** Devices this source may provide firmware for; omitted = every device. */
  devices?: readonly string[];
  /** Key-based: hint of a key enrolled with role `external`… */
  keyHint?: string;
  /** …or a key pinned directly (e.g. `verify --key cosign.pub`). */
  key?: TrustedKey;
  /** Keyless: the CI identity. */
  keyless?: KeylessIdentity;
  /** Trust root for keyless signers (their CA and log); defaults to the context's root. */
  trustedRoot?: LoadedTrustedRoot;
  /** Require a log entry; default true for keyless (it is the timestamp), false for keys. */
  requireLog?: boolean;
}

export interface TrustContext {
  trustedRoot: LoadedTrustedRoot;
  keys: KeyLookup;
  /** The current, already verified revocation list (see RevocationStore / verifyRevocationBundle). */
  revocations: RevocationList | null;
  /** Without a list, is the answer `stale` (true) or do we trust without one (false)? */
  requireRevocationList: boolean;
  /** CI and other outside builders accepted by explicit policy. */
  externalSigners?: readonly ExternalSigner[];
  now: Date;
}

export interface EvaluateInput {
  deviceId: string;
  /**
   * The exact bytes about to be sent (preferred; `sha256` may be passed along when the caller already
   * hashed these very bytes), or a digest when only that is known.
   */
  firmware: { bytes: Buffer; sha256?: string } | { sha256: string | null };
  approval?: unknown;
  build?: unknown;
  external?: unknown;
  /** Build sequence the device runs; an older approval is a rollback. */
  minBuildSequence?: number | null;
  /** Highest CI order (signed `buildSequence`) ever flashed to the device; a lower one is a rollback. */
  minExternalOrder?: number | null;
  /** When set, the approval must be for exactly this config digest. */
  expectedConfigSha256?: string | null;
}

export interface TrustEvaluation {
  verdict: TrustVerdict;
  approval: ApprovalFacts | null;
  build: BuildFacts | null;
  logIndexes: number[];
  /** Things a person may want to know that do not change the state. */
  notes: string[];
}

/** Collects what the evaluator learned so any exit carries signer, sequence and log indexes. */
export class VerdictBuilder {
  approval: ApprovalFacts | null = null;
  build: BuildFacts | null = null;
  logIndexes: number[] = [];
  notes: string[] = [];
  signer: string | null = null;
  constructor(
    private readonly sha: string | null,
    private readonly now: Date,
  ) {}
  done(state: TrustState, reason: string): TrustEvaluation {
    return {
      verdict: {
        state,
        reason,
        signer: this.signer,
        buildSequence: this.approval?.buildSequence ?? null,
        checkedAt: this.now.toISOString(),
        firmwareSha256: this.sha,
      },
      approval: this.approval,
      build: this.build,
      logIndexes: this.logIndexes,
      notes: this.notes,
    };
  }
}

/** Why the answer cannot be fresher than `stale`, or null when the revocation data is current. */
export function staleness(ctx: Pick<TrustContext, "revocations" | "requireRevocationList" | "now">): string | null {
  if (!ctx.revocations) return ctx.requireRevocationList ? "no revocation list is installed" : null;
  if (isExpired(ctx.revocations, ctx.now))
    return `revocation list v${ctx.revocations.version} expired at ${ctx.revocations.expiresAt}`;
  return null;
}
