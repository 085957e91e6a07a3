// Policy modes applied to a verdict: what the upload gate does with it. Pure.
import type { TrustVerdict } from "@esphome-forge/shared";
import type { TrustEvaluation } from "./verdict.js";

/** Per fleet, overridable per device. `enforce` is the default. */
export type TrustMode = "enforce" | "warn" | "off";

export interface GateDecision {
  /** Whether the OTA may proceed. */
  allow: boolean;
  verdict: TrustVerdict;
  /** For the job log / events when flashing anyway under `warn`. */
  warning: string | null;
  /** For the job error when blocked under `enforce`. */
  error: string | null;
  evaluation: TrustEvaluation;
}

export function gateDecision(evaluation: TrustEvaluation, mode: TrustMode): GateDecision {
  const verdict = evaluation.verdict;
  const ok = verdict.state === "verified";
  const what = `firmware ${verdict.firmwareSha256?.slice(0, 12) ?? "?"}… is ${verdict.state.replace("_", " ")}: ${verdict.reason}`;
  switch (mode) {
    case "off":
      return { allow: true, verdict, warning: null, error: null, evaluation };
    case "warn":
      return {
        allow: true,
        verdict,
        warning: ok ? null : `content trust (warn mode): ${what}; flashing anyway`,
        error: null,
        evaluation,
      };
    case "enforce":
      return ok
        ? { allow: true, verdict, warning: null, error: null, evaluation }
        : { allow: false, verdict, warning: null, error: `content trust blocked the upload: ${what}`, evaluation };
  }
}
