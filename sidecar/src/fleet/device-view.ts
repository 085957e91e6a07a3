// Builds the Device the API and events show: what the inventory read from the config folder,
// plus what the queue knows (last build, whether the device is outdated), its trust state and its
// presence (online, last seen, the firmware it reports running: presence/). Each queue read is one
// index lookup (migration 8), so a view costs the same however long the history; DeviceViews keeps
// the results in memory and the announcer decides when one is built again.
import {
  BUILD_ACTIONS,
  FLASH_ACTIONS,
  otaImage,
  type Device,
  type FirmwareImage,
  type TrustVerdict,
} from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { JobQueue } from "../queue/job-queue.js";
import { flashRefOf, NO_PRESENCE_FIELDS, type PresenceFields } from "../presence/presence-view.js";
import { runningVerdict, type FlashRef } from "../presence/running-match.js";

export interface DeviceTrust {
  pending: TrustVerdict;
  running: TrustVerdict;
}

export interface TrustSource {
  /**
   * Verdicts for the device's pending firmware (the OTA image of its last successful build) and the one
   * it runs: remembered when nothing they depend on changed, else evaluated now — or, with `cachedOnly`,
   * null (evaluating costs milliseconds per firmware; a whole fleet is evaluated in the background).
   */
  verdicts(deviceId: string, pendingSha256: string | null, opts?: { cachedOnly?: boolean }): DeviceTrust | null;
}

/** Until content trust is wired in, every device reports `unknown`. */
export const UNKNOWN_TRUST: TrustSource = {
  verdicts: () => {
    const unknown: TrustVerdict = {
      state: "unknown",
      reason: "no trust evaluation has run for this firmware",
      signer: null,
      buildSequence: null,
      checkedAt: null,
      firmwareSha256: null,
    };
    return { pending: unknown, running: unknown };
  },
};

/** Where a device's presence fields come from (presence/presence-tracker.ts). */
export interface PresenceView {
  describe(d: InventoryDevice, flash: FlashRef | null): PresenceFields;
}

export const NO_PRESENCE: PresenceView = { describe: () => NO_PRESENCE_FIELDS };

export class DeviceView {
  constructor(
    private readonly queue: JobQueue,
    private readonly defaultVersion: () => string | null,
    private readonly trust: TrustSource = UNKNOWN_TRUST,
    /** Whether the firmware archive still holds an image (digest). */
    private readonly archived: (sha256: string) => boolean = () => true,
    private readonly presence: PresenceView = NO_PRESENCE,
    /** The config workspace's part of the view (history, last validation), from memory. */
    private readonly workspace?: (d: InventoryDevice) => Pick<Device, "configHistory" | "validation">,
    /** The device side of signed OTA (trust/ota-signing/device-side.ts), given what the device advertises. */
    private readonly otaSigning?: (d: InventoryDevice, advertised: boolean | null) => Device["otaSigning"],
  ) {}

  /** The ESPHome version Forge would build this device with. */
  targetVersion(d: InventoryDevice): string | null {
    return d.pinnedVersion ?? this.defaultVersion();
  }

  /** The view of one device; with `cachedTrustOnly`, trust not yet evaluated reads "being checked". */
  toDevice(d: InventoryDevice, opts: { cachedTrustOnly?: boolean } = {}): Device {
    const last = this.queue.lastOf(d.id, BUILD_ACTIONS);
    const flashed = this.queue.lastSucceeded(d.id, FLASH_ACTIONS);
    // Staged: the newest approved build, even when its flash failed (a failed OTA never loses the build).
    const compiled = this.queue.lastApprovedBuild(d.id);
    const target = this.targetVersion(d);
    // Outdated = what Forge last flashed is not what it would build now (config or ESPHome version),
    // or Forge never flashed it, so what runs is unknown.
    const outdated =
      d.error == null &&
      (!flashed || flashed.configHash !== d.configHash || (target != null && flashed.esphomeVersion !== target));
    const imageOf = (j: { firmware: FirmwareImage[] }) => otaImage(j.firmware)?.sha256 ?? null;
    const stored = compiled ? (compiled.flashSha256 ?? imageOf(compiled)) : null;
    const seen = this.presence.describe(d, flashRefOf(flashed, d));
    const trust = this.trust.verdicts(d.id, stored ?? null, { cachedOnly: opts.cachedTrustOnly }) ?? {
      pending: notYetChecked(stored),
      running: notYetChecked(null),
    };
    return {
      ...d,
      outdated,
      targetVersion: target,
      lastFlash: flashed
        ? {
            jobId: flashed.id,
            finishedAt: flashed.finishedAt,
            configHash: flashed.configHash,
            esphomeVersion: flashed.esphomeVersion,
            // An upload names its image (flashSha256); a compile_upload also has it among its images.
            firmwareSha256: flashed.flashSha256 ?? imageOf(flashed),
          }
        : null,
      lastBuild: last
        ? {
            jobId: last.id,
            action: last.action,
            state: last.state,
            finishedAt: last.finishedAt,
            firmwareSha256: imageOf(last),
            esphomeVersion: last.esphomeVersion,
          }
        : null,
      storedFirmware:
        compiled && stored && this.archived(stored)
          ? {
              jobId: compiled.id,
              finishedAt: compiled.finishedAt,
              firmwareSha256: stored,
              esphomeVersion: compiled.esphomeVersion,
              configHash: compiled.configHash,
              // Install flashes it without recompiling only when it is what Forge would build now.
              current:
                d.error == null &&
                compiled.configHash === d.configHash &&
                (target == null || compiled.esphomeVersion === target),
            }
          : null,
      // A device that reports firmware other than what Forge flashed is not shown as verified.
      trust: {
        ...trust,
        running: runningVerdict(trust.running, seen.running?.match ?? null, seen.running?.note ?? ""),
      },
      ...seen,
      ...this.workspace?.(d),
      ...(this.otaSigning ? { otaSigning: this.otaSigning(d, seen.presence?.otaSigned ?? null) } : {}),
    };
  }
}

/** A verdict the sidecar has not evaluated yet since it started (a large fleet takes a few seconds). */
function notYetChecked(sha256: string | null): TrustVerdict {
  return {
    state: "unknown",
    reason: "not checked yet: the sidecar is checking the fleet's firmware since it started",
    signer: null,
    buildSequence: null,
    checkedAt: null,
    firmwareSha256: sha256,
  };
}
