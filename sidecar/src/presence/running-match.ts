// The one rule for "does the device run what Forge last flashed": the ESPHome version it reports
// equals the flash's, its project version equals the config's at that flash (when Forge can tell),
// and ESPHome's config hash has not changed since the first report after that flash (a different
// build, from another tool, reports another hash). And the trust consequence: running firmware
// that was changed outside Forge is never shown with the verdict of what Forge flashed.
import type { RunningMatch, TrustVerdict } from "@esphome-forge/shared";

export interface FlashRef {
  jobId: number;
  /** ms since the epoch; null while unknown (treated as "long ago"). */
  finishedAt: number | null;
  esphomeVersion: string | null;
  /** The project version of the config Forge flashed, when known (null: not compared). */
  projectVersion: string | null;
}

export interface RunningReport {
  esphomeVersion: string | null;
  projectVersion: string | null;
  configHash: string | null;
  /** When the source last reported (ms). */
  lastReportAt: number;
}

/** ESPHome's config hash first reported after a given Forge flash. */
export interface Baseline {
  flashJobId: number;
  configHash: string;
}

/** `2026.11.0-dev` runs what a Forge job for `dev` built; otherwise versions compare as text. */
function sameEsphome(reported: string, flashed: string): boolean {
  if (flashed === "dev") return /-?dev/.test(reported);
  return reported === flashed;
}

export function compareRunning(
  running: RunningReport,
  flash: FlashRef | null,
  baseline: Baseline | null,
): { match: RunningMatch; note: string } {
  const says = running.esphomeVersion ? `ESPHome ${running.esphomeVersion}` : "an unknown ESPHome version";
  if (!flash) return { match: "not_flashed", note: `Forge has not flashed this device; it reports ${says}` };
  const job = `job #${flash.jobId}`;
  if (flash.finishedAt != null && running.lastReportAt <= flash.finishedAt)
    return { match: "unconfirmed", note: `the device has not reported since Forge flashed it (${job})` };
  if (running.esphomeVersion && flash.esphomeVersion && !sameEsphome(running.esphomeVersion, flash.esphomeVersion))
    return {
      match: "changed_outside_forge",
      note: `the device reports ${says}, Forge flashed ESPHome ${flash.esphomeVersion} (${job})`,
    };
  if (running.projectVersion && flash.projectVersion && running.projectVersion !== flash.projectVersion)
    return {
      match: "changed_outside_forge",
      note: `the device reports project version ${running.projectVersion}, Forge flashed ${flash.projectVersion} (${job})`,
    };
  if (
    baseline &&
    baseline.flashJobId === flash.jobId &&
    running.configHash &&
    running.configHash !== baseline.configHash
  )
    return {
      match: "changed_outside_forge",
      note: `ESPHome's config hash changed from ${baseline.configHash} to ${running.configHash} since Forge's flash (${job}): other firmware was installed`,
    };
  return { match: "matches", note: `the device runs what Forge flashed (${job})` };
}

/** The running firmware's verdict once the device has spoken: a changed device is not verified. */
export function runningVerdict(verdict: TrustVerdict, match: RunningMatch | null, note: string): TrustVerdict {
  if (match !== "changed_outside_forge") return verdict;
  return {
    state: "unknown",
    reason: `changed outside Forge: ${note}; the verdict of what Forge flashed (${verdict.state}) does not apply to it`,
    signer: null,
    buildSequence: null,
    checkedAt: null,
    firmwareSha256: null,
  };
}
