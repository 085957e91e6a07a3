// Presence: whether a device is reachable and what firmware it says it runs. The sidecar learns it
// from ESPHome's own mDNS advertisements (`_esphomelib._tcp`) and, in Home Assistant, from what HA's
// ESPHome integration knows (fed over `PUT /devices/{id}/presence`). See README "Devices as they are".
import { z } from "zod";

/** DNS-SD service type ESPHome devices with the native API advertise: `_esphomelib._tcp.local`. */
export const ESPHOME_MDNS_SERVICE = "_esphomelib._tcp.local";

export const PRESENCE_SOURCES = ["mdns", "ha"] as const;
export const PresenceSource = z.enum(PRESENCE_SOURCES);
export type PresenceSource = z.infer<typeof PresenceSource>;

/** A reported version or name: short printable text (it comes from the network). */
const Reported = z
  .string()
  .max(64)
  .regex(/^[\x20-\x7e]*$/, "printable ASCII only");
/** A MAC as 12 lowercase hex digits, the form ESPHome's TXT record uses. */
export const MacHex = z.string().regex(/^[0-9a-f]{12}$/, "expected 12 lowercase hex digits");

/** What a running device says about itself (mDNS TXT record, or HA's ESPHome integration). */
export const DevicePresence = z.object({
  /** Which source `online` and `lastSeen` come from (mdns when both see it). */
  source: PresenceSource,
  /** When `online` last changed (per the deciding source). */
  since: z.string().nullable(),
  /** IPv4 and IPv6 addresses from the advertisement (mdns only). */
  addresses: z.array(z.string()),
  /** The advertised instance (hostname), e.g. `kitchen` or `kitchen-a1b2c3`. */
  hostname: z.string().nullable(),
  mac: MacHex.nullable(),
  platform: Reported.nullable(),
  board: Reported.nullable(),
  /** `wifi`, `ethernet` or `thread`. */
  network: Reported.nullable(),
  friendlyName: z.string().max(128).nullable(),
  /** The Noise protocol name when the device has an API encryption key, null when it has none or did not say. */
  apiEncryption: Reported.nullable(),
  /** True when the device enforces signed OTA images (ESPHome 2026.10 `ota_signed`); null when it did not say. */
  otaSigned: z.boolean().nullable(),
});
export type DevicePresence = z.infer<typeof DevicePresence>;

/**
 * How the running firmware compares with what Forge last flashed:
 * - `matches`: same ESPHome and project version, and no other build reported since Forge's flash;
 * - `changed_outside_forge`: it differs (another tool installed firmware);
 * - `not_flashed`: Forge never flashed this device;
 * - `unconfirmed`: the device has not reported since Forge's last flash.
 */
export const RUNNING_MATCHES = ["matches", "changed_outside_forge", "not_flashed", "unconfirmed"] as const;
export const RunningMatch = z.enum(RUNNING_MATCHES);
export type RunningMatch = z.infer<typeof RunningMatch>;

/** The firmware a device reports running, as reported. */
export const RunningFirmware = z.object({
  esphomeVersion: Reported.nullable(),
  projectName: Reported.nullable(),
  projectVersion: Reported.nullable(),
  /** ESPHome's own config hash (8 hex digits, mDNS TXT `config_hash`, ESPHome 2026.5+). */
  configHash: z
    .string()
    .regex(/^[0-9a-f]{8}$/)
    .nullable(),
  source: PresenceSource,
  /** When the source last reported these facts. */
  reportedAt: z.string(),
  match: RunningMatch,
  /** One line saying why `match` is what it is. */
  note: z.string(),
});
export type RunningFirmware = z.infer<typeof RunningFirmware>;

/**
 * `PUT /devices/{id}/presence`: what Home Assistant's ESPHome integration knows about a device
 * (its connection state and the versions in `sw_version`). A report counts for
 * `HA_PRESENCE_FRESH_MS`; the integration sends on every change and refreshes well within that.
 */
export const PresenceReport = z
  .object({
    source: z.literal("ha"),
    online: z.boolean(),
    esphomeVersion: Reported.nullable().optional(),
    projectName: Reported.nullable().optional(),
    projectVersion: Reported.nullable().optional(),
    /** Any common MAC notation; must agree with the MAC Forge knows for the device. */
    mac: z
      .string()
      .max(17)
      .regex(/^[0-9A-Fa-f]{2}(?:[:-]?[0-9A-Fa-f]{2}){5}$/, "expected a MAC address")
      .nullable()
      .optional(),
    /** When HA last heard from the device (an offline report); never later than now. */
    lastSeen: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict();
export type PresenceReport = z.infer<typeof PresenceReport>;

/** How long an `ha` presence report counts without being refreshed. */
export const HA_PRESENCE_FRESH_MS = 15 * 60_000;

/** `aa:bb:…`, `AA-BB-…` or `aabb…` → `aabbccddeeff`; null when it is not a MAC. */
export function macHex(value: string | null | undefined): string | null {
  if (!value) return null;
  const hex = value.toLowerCase().replace(/[:-]/g, "");
  return /^[0-9a-f]{12}$/.test(hex) ? hex : null;
}
