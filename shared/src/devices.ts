// A device as the inventory sees it: its config, builds and flashes, trust, presence and history.
import { z } from "zod";
import { CommitId, DeviceId, EsphomeVersion, Sha256Hex, Tag } from "./domain.js";
import { JobAction, JobState, ValidationError } from "./jobs.js";
import { DeviceOtaSigning, DeviceSignedOtaConfig } from "./ota-signing.js";
import { DevicePresence, RunningFirmware } from "./presence.js";
import { TrustPolicy, TrustVerdict } from "./trust-verdict.js";

/** What the device view shows about a device's config history: "built from <commit>, N changes since". */
export const DeviceConfigHistory = z.object({
  /** The newest commit touching the device's config file. */
  commit: CommitId.nullable(),
  /** The commit its last successful compile was built from. */
  builtFrom: CommitId.nullable(),
  /** Commits touching its files since `builtFrom`. */
  changesSince: z.number().int().nonnegative().nullable(),
});
export type DeviceConfigHistory = z.infer<typeof DeviceConfigHistory>;

/** The device's last validation (a `validate` job's result) — errors with ESPHome's file and line. */
export const DeviceValidation = z.object({
  jobId: z.number().int(),
  state: z.string(),
  finishedAt: z.string().nullable(),
  errors: z.array(ValidationError),
  /** True when it validated the config as it is now (same config digest). */
  current: z.boolean(),
});
export type DeviceValidation = z.infer<typeof DeviceValidation>;

export const Device = z.object({
  id: DeviceId,
  /** Config file name relative to the config folder, e.g. `kitchen.yaml`. */
  file: z.string(),
  /** `esphome.name` (the hostname). Null while the config cannot be read. */
  name: z.string().nullable(),
  friendlyName: z.string().nullable(),
  platform: z.string().nullable(),
  board: z.string().nullable(),
  /** ESP32 chip variant (`esp32`, `esp32s3`, …; ESPHome's resolved config always names it); absent/null otherwise. */
  variant: z.string().nullable().optional(),
  project: z.object({ name: z.string(), version: z.string().nullable() }).nullable(),
  /** ESPHome version pinned in the device's metadata block; null = fleet default. */
  pinnedVersion: EsphomeVersion.nullable(),
  tags: z.array(Tag),
  mac: z.string().nullable(),
  /** Where OTA goes: static IP, `use_address`, a learned address or `<name>.local`. */
  address: z.string().nullable(),
  addressSource: z.enum(["use_address", "static_ip", "known", "mdns"]).nullable(),
  /** How the config was read: the real `esphome config`, or a plain YAML read as fallback. */
  resolvedBy: z.enum(["esphome", "yaml"]).nullable(),
  /** sha256 of the device's config file and the local files it includes. */
  configHash: Sha256Hex.nullable(),
  /** A human-readable reason the config could not be read; the rest of the fleet is unaffected. */
  error: z.string().nullable(),
  /** True when the last successful build of this device is older than its config (or there is none). */
  outdated: z.boolean(),
  lastBuild: z
    .object({
      jobId: z.number().int(),
      action: JobAction,
      state: JobState,
      finishedAt: z.string().nullable(),
      firmwareSha256: Sha256Hex.nullable(),
      esphomeVersion: z.string().nullable(),
    })
    .nullable(),
  /** The ESPHome version Forge would build with: the device's pin, else the fleet default. */
  targetVersion: z.string().nullable(),
  /** The last firmware Forge flashed to this device (what it believes is running). */
  lastFlash: z
    .object({
      jobId: z.number().int(),
      finishedAt: z.string().nullable(),
      configHash: Sha256Hex.nullable(),
      esphomeVersion: z.string().nullable(),
      firmwareSha256: Sha256Hex.nullable(),
    })
    .nullable(),
  /**
   * The staged firmware, which an `upload` without a digest flashes: the approved OTA image of the
   * device's newest approved build (a compile, or a compile_upload whose flash may have failed) while the
   * archive holds it (fleet/flash-image.ts). A later failed upload does not hide it. Absent from older sidecars.
   */
  storedFirmware: z
    .object({
      jobId: z.number().int(),
      finishedAt: z.string().nullable(),
      firmwareSha256: Sha256Hex,
      esphomeVersion: z.string().nullable(),
      /** The config digest it was built from. */
      configHash: Sha256Hex.nullable().optional(),
      /** Built from the config and ESPHome version Forge would build now: an install flashes it, no recompile. */
      current: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  trust: z.object({ pending: TrustVerdict, running: TrustVerdict }),
  /** Per-device trust policy from the metadata block (`trust_policy`); null/absent = the fleet's. */
  trustPolicy: TrustPolicy.nullable().optional(),
  // Presence (README "Devices as they are"); absent from sidecars that predate it.
  /** Reachable now (mDNS advertisement within the silence window, or HA connected); null = no source has seen it. */
  online: z.boolean().nullable().optional(),
  /** When a source last heard from the device (refreshed every few minutes while it stays online). */
  lastSeen: z.string().nullable().optional(),
  /** What the device says about itself: addresses, MAC, platform, board, API encryption, signed OTA. */
  presence: DevicePresence.nullable().optional(),
  /** The firmware it reports running, and how that compares with Forge's last flash. */
  running: RunningFirmware.nullable().optional(),
  /** Its config has `deep_sleep:`: offline is shown as "asleep", and a flash waits for it to wake. */
  deepSleep: z.boolean().optional(),
  /** Config history: the newest commit of its file, the commit its last build came from, changes since. */
  configHistory: DeviceConfigHistory.nullable().optional(),
  /** Its last `validate` job's result (ESPHome's errors with file and line). */
  validation: DeviceValidation.nullable().optional(),
  /** `signed_ota_verification` as its config has it; null = none (or not an ESP32). */
  signedOta: DeviceSignedOtaConfig.nullable().optional(),
  /** The device side of signed OTA (docs/signed-ota.md); null when neither its config nor the device uses it. */
  otaSigning: DeviceOtaSigning.nullable().optional(),
  updatedAt: z.string(),
});
export type Device = z.infer<typeof Device>;
