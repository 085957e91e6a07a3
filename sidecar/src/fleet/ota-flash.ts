// Signed OTA wired into the fleet: the one `imageToFlash` (trust/ota-signing/flash-image.ts) over the
// trust engine's keys and records, the firmware archive, the device's config and what it advertises;
// and the device side of each Device view.
import type { Device } from "@esphome-forge/shared";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { TrustEngine } from "../trust/index.js";
import { OtaFlashImages } from "../trust/ota-signing/flash-image.js";
import { deviceEnforcedByForge, deviceOtaSigning } from "../trust/ota-signing/device-side.js";

export interface OtaFlash {
  images: OtaFlashImages;
  /** The device's running firmware accepts only images signed by Forge's keys (`device_enforced`). */
  enforcedByForge(deviceId: string): boolean;
  /** The `otaSigning` part of a Device view. */
  view(d: InventoryDevice, advertised: boolean | null): Device["otaSigning"];
}

export function otaFlash(
  engine: TrustEngine,
  firmware: Pick<FirmwareStore, "read" | "putAsync">,
  device: (id: string) => InventoryDevice | undefined,
  advertised: (id: string) => boolean | null,
): OtaFlash {
  const images = new OtaFlashImages({
    keys: engine.otaKeys,
    records: engine.otaSigned,
    firmware,
    config: (id) => device(id)?.signedOta ?? null,
    advertised,
    installed: (id) => engine.sequences.installed(id)?.firmwareSha256 ?? null,
    approvalLogIndex: (sha, id) => engine.attestations.approvalFor(sha, id)?.logIndex ?? null,
    logSigned: (data) => engine.log.appendEvent("ota_signed", data).index,
  });
  return {
    images,
    enforcedByForge: (id) =>
      deviceEnforcedByForge(
        images.running(id),
        engine.otaKeys.list().map((k) => k.digest),
      ),
    view: (d, adv) =>
      deviceOtaSigning(
        d.signedOta ?? null,
        adv,
        images.running(d.id),
        engine.otaKeys.active().map((k) => k.digest),
      ),
  };
}
