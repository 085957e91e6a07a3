// Builds the Device the API and events show: what the inventory read from the config folder,
// plus what the queue knows (last build, whether the device is outdated) and its trust state.
import {
  BUILD_ACTIONS,
  COMPILE_ACTIONS,
  FLASH_ACTIONS,
  otaImage,
  type Device,
  type FirmwareImage,
  type TrustVerdict,
} from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { JobQueue } from "../queue/job-queue.js";

export interface TrustSource {
  verdicts(deviceId: string): { pending: TrustVerdict; running: TrustVerdict };
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

export class DeviceView {
  constructor(
    private readonly queue: JobQueue,
    private readonly defaultVersion: () => string | null,
    private readonly trust: TrustSource = UNKNOWN_TRUST,
    /** Whether the firmware archive still holds an image (digest). */
    private readonly archived: (sha256: string) => boolean = () => true,
    /** The config workspace's part of the view (history, last validation), from memory. */
    private readonly workspace?: (d: InventoryDevice) => Pick<Device, "configHistory" | "validation">,
  ) {}

  /** The ESPHome version Forge would build this device with. */
  targetVersion(d: InventoryDevice): string | null {
    return d.pinnedVersion ?? this.defaultVersion();
  }

  toDevice(d: InventoryDevice): Device {
    const last = this.queue.list({ device: [d.id], action: [...BUILD_ACTIONS], limit: 1 }).jobs[0];
    const flashed = this.queue.lastSucceeded(d.id, FLASH_ACTIONS);
    const compiled = this.queue.lastSucceeded(d.id, COMPILE_ACTIONS);
    const target = this.targetVersion(d);
    // Outdated = what Forge last flashed is not what it would build now (config or ESPHome version),
    // or Forge never flashed it, so what runs is unknown.
    const outdated =
      d.error == null &&
      (!flashed || flashed.configHash !== d.configHash || (target != null && flashed.esphomeVersion !== target));
    const imageOf = (j: { firmware: FirmwareImage[] }) => otaImage(j.firmware)?.sha256 ?? null;
    const stored = compiled ? imageOf(compiled) : null;
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
            firmwareSha256: imageOf(flashed),
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
            }
          : null,
      trust: this.trust.verdicts(d.id),
      ...this.workspace?.(d),
    };
  }
}
