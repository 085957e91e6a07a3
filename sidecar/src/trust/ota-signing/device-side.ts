// The device side of signed OTA as the Device view and HA show it: does the device enforce signed OTA
// (what it advertises when seen, else what Forge last flashed), which keys its running firmware trusts
// (from the record of the signed image Forge flashed, so it follows a key rotation device by device),
// downgrade protection, and the project version Forge last flashed. `deviceEnforcedByForge` is the
// condition of the `device_enforced` trust state: every key the running firmware trusts is Forge's.
import type { DeviceOtaSigning, DeviceSignedOtaConfig } from "@esphome-forge/shared";
import { forgeSignsFor } from "./device-config.js";
import type { RunningOtaPolicy } from "./flash-image.js";

export function deviceOtaSigning(
  cfg: DeviceSignedOtaConfig | null,
  advertised: boolean | null,
  run: RunningOtaPolicy,
  activeDigests: readonly string[],
): DeviceOtaSigning | null {
  if (!cfg && !advertised && !run.record) return null;
  const forge = cfg ? forgeSignsFor({ ...cfg, projectVersion: null }, activeDigests) : null;
  return {
    otaSigned: run.enforced ?? false,
    configured: cfg !== null,
    advertised,
    forgeSigns: forge?.ok ?? false,
    reason: forge?.reason ?? null,
    missingKeys: forge?.ok ? forge.missing : [],
    trustedKeys: run.trustedKeys,
    downgradeProtection: run.enforced ? run.downgradeProtection : (cfg?.downgradeProtection ?? false),
    lastProjectVersion: run.projectVersion,
  };
}

/** The running firmware accepts only images signed by keys Forge holds (`forgeDigests`: every key it has). */
export function deviceEnforcedByForge(run: RunningOtaPolicy, forgeDigests: readonly string[]): boolean {
  if (!run.enforced || !run.trustedKeys || run.trustedKeys.length === 0) return false;
  return run.trustedKeys.every((k) => forgeDigests.includes(k));
}
