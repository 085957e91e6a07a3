// Shared shapes of the trust evaluation: its inputs, its context, and the verdict builder.
import type { TrustState, TrustVerdict } from "@esphome-forge/shared";
import type { ExternalSigner } from "./evaluate-external.js";
import type { KeyLookup } from "./key-registry.js";
import { isExpired, type RevocationList } from "./revocation.js";
import type { ApprovalFacts, BuildFacts } from "./statements.js";
import type { LoadedTrustedRoot } from "./trusted-root.js";

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
  if (isExpired(ctx.revocations, ctx.now)) return `revocation list v${ctx.revocations.version} expired at ${ctx.revocations.expiresAt}`;
  return null;
}
