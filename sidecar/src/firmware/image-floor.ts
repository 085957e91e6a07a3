// The smallest firmware image Forge accepts, per platform: an empty or truncated file is refused on
// receipt (from a worker or a CI upload) whatever the trust policy, so it can never become what the
// next upload flashes. The floors sit far below the leanest real ESPHome builds (an ESP8266 image
// without Wi-Fi is ~250 KB, an ESP32 one several hundred KB), so no real build trips them.
import type { FirmwareImage } from "@esphome-forge/shared";

const KIB = 1024;

/** Bytes below which an `ota` or `factory` image of the platform cannot be a real build. */
export const IMAGE_FLOOR_BYTES: Readonly<Record<string, number>> = Object.freeze({
  esp32: 32 * KIB,
  esp8266: 32 * KIB,
  bk72xx: 32 * KIB,
  rtl87xx: 32 * KIB,
  ln882x: 32 * KIB,
  rp2040: 16 * KIB,
  nrf52: 16 * KIB,
  // The host platform builds a native program for tests: any non-empty file.
  host: 1,
});
/** Platform not known (a config that could not be read): still more than any header or stub. */
export const UNKNOWN_PLATFORM_FLOOR_BYTES = 4 * KIB;

export function imageFloor(platform: string | null, kind: FirmwareImage["kind"]): number {
  if (kind === "other") return 1; // other build output: only an empty file is certainly wrong
  return (platform ? IMAGE_FLOOR_BYTES[platform] : undefined) ?? UNKNOWN_PLATFORM_FLOOR_BYTES;
}

/** Why this image cannot be a real build for the platform, or null when its size is plausible. */
export function implausibleImage(
  image: Pick<FirmwareImage, "name" | "size" | "kind">,
  platform: string | null,
): string | null {
  const floor = imageFloor(platform, image.kind);
  if (image.size >= floor) return null;
  const what = image.size === 0 ? "is empty (0 bytes)" : `is only ${image.size} bytes`;
  const whose = platform ? `${platform} images` : "images for a device of unknown platform";
  return `firmware ${image.name} ${what}, refused whatever the trust policy: ${whose} are at least ${floor} bytes (an incomplete build output?)`;
}
