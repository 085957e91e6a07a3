// The archived image an `upload` job flashes when the firmware was built outside Forge: it must have
// been uploaded for this very device together with its bundle (POST /trust/external-firmware).
import type { FirmwareImage } from "@esphome-forge/shared";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { TrustEngine } from "../trust/engine.js";

export function externalImage(
  engine: TrustEngine,
  firmware: FirmwareStore,
  deviceId: string,
  sha256: string,
): FirmwareImage | null {
  if (!engine.attestations.forFirmware(sha256, "external").some((a) => a.deviceId === deviceId)) return null;
  if (!firmware.has(sha256)) return null;
  return { name: "firmware.ota.bin", sha256, size: firmware.read(sha256).length, kind: "ota" };
}
