// Core domain objects shared by the sidecar, the worker, the card and (as JSON) the HA integration.
import { z } from "zod";
import { DeviceOtaSigning, DeviceSignedOtaConfig } from "./ota-signing.js";
import { DevicePresence, RunningFirmware } from "./presence.js";

export const JOB_ACTIONS = ["validate", "compile", "compile_upload", "upload"] as const;
export const JobAction = z.enum(JOB_ACTIONS);
export type JobAction = z.infer<typeof JobAction>;
/** Actions that run ESPHome's compile and produce firmware. */
export const COMPILE_ACTIONS: readonly JobAction[] = ["compile", "compile_upload"];
/** Actions that flash a device over the air. */
export const FLASH_ACTIONS: readonly JobAction[] = ["compile_upload", "upload"];
/** Actions that change what a device has or would get: compiles and flashes. */
export const BUILD_ACTIONS: readonly JobAction[] = ["compile", "compile_upload", "upload"];
export const compiles = (action: JobAction): boolean => COMPILE_ACTIONS.includes(action);
export const flashes = (action: JobAction): boolean => FLASH_ACTIONS.includes(action);

/**
 * `waiting_for_device`: a flash step whose approved image is held until the device is online again
 * (an offline or sleeping device, or `params.whenOnline`); it ends `failed` when `waitingUntil` passes.
 */
export const JOB_STATES = [
  "queued",
  "blocked",
  "waiting_for_device",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
] as const;
export const JobState = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobState>;
export const TERMINAL_JOB_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled", "timed_out"];
export const ACTIVE_JOB_STATES: readonly JobState[] = ["queued", "blocked", "waiting_for_device", "running"];

/** Highest first. The numeric rank stored in SQLite is the index in this list. */
export const JOB_PRIORITIES = ["interactive", "automation", "scheduled", "bulk"] as const;
export const JobPriority = z.enum(JOB_PRIORITIES);
export type JobPriority = z.infer<typeof JobPriority>;

/** The phase a job was in when it ended; tells the user *where* a failure happened. */
export const JOB_PHASES = ["dispatch", "install", "prepare", "validate", "compile", "upload"] as const;
export const JobPhase = z.enum(JOB_PHASES);
export type JobPhase = z.infer<typeof JobPhase>;

/**
 * The steps of a job that flashes (README "A builder never flashes"): a compile_upload is `build` (a
 * builder compiles and sends its image; the sidecar approves the archived bytes), then `flash` (a flasher
 * sends exactly the approved archived image). An `upload` is one `flash` step.
 */
export const JOB_STEPS = ["build", "flash"] as const;
export const JobStep = z.enum(JOB_STEPS);
export type JobStep = z.infer<typeof JobStep>;

/** What a worker may do: `builder` (default) compiles, `flasher` (set by an admin) flashes approved images and never builds. */
export const WORKER_ROLES = ["builder", "flasher"] as const;
export const WorkerRole = z.enum(WORKER_ROLES);
export type WorkerRole = z.infer<typeof WorkerRole>;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex sha256 digest");

export const DeviceId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "device ids are file stems: letters, digits, '.', '_' and '-'");

/** A build worker's stable id (kept in its state folder and sent in its hello). */
export const WorkerId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "worker ids are letters, digits, '.', '_' and '-'");

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * True for a host name (RFC 1123 labels; `_` allowed as mDNS names have it) or an IP literal.
 * The address reaches `esphome upload --device ADDRESS` on a worker: it never starts with `-`
 * and holds no spaces or shell metacharacters.
 */
export function isOtaAddress(value: string): boolean {
  if (value.length === 0 || value.length > 253 || value.startsWith("-")) return false;
  if (IPV4.test(value)) return true;
  if (value.includes(":")) return IPV6.test(value) && z.ipv6().safeParse(value).success;
  return value
    .replace(/\.$/, "")
    .split(".")
    .every((label) => HOST_LABEL.test(label));
}

export const OtaAddress = z
  .string()
  .refine(isOtaAddress, "an OTA address is a host name or an IP address (never starting with '-', no spaces)");

export const EsphomeVersion = z
  .string()
  .regex(/^\d{4}\.\d{1,2}\.\d+(?:[a-z]+\d*)?$|^dev$/, "expected an ESPHome release such as 2026.10.0");

export const Tag = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.:-]*$/, "tags are lowercase: letters, digits, '_', '.', ':' and '-'");

export const FirmwareImage = z.object({
  /** File name as ESPHome produced it, e.g. `firmware.ota.bin`. */
  name: z.string().min(1).max(128),
  sha256: Sha256Hex,
  size: z.number().int().nonnegative(),
  /** What the image is for: OTA update, factory (serial) image, or other build output. */
  kind: z.enum(["ota", "factory", "other"]).default("other"),
});
export type FirmwareImage = z.infer<typeof FirmwareImage>;

/**
 * The one rule for which image of a build an OTA sends: the `ota` image, else the first image that
 * is not a factory (serial) image; never a factory image. The HA integration mirrors it in
 * const.py, and both are checked against shared/test-vectors/ota-image.json.
 */
export function otaImage<T extends Pick<FirmwareImage, "kind">>(images: readonly T[]): T | undefined {
  return images.find((i) => i.kind === "ota") ?? images.find((i) => i.kind !== "factory");
}

/**
 * `device_enforced`: verified, and the device itself accepts only images signed by Forge's keys (ESPHome
 * signed OTA), so nothing Forge did not approve can have been flashed over the air since.
 */
export const TRUST_STATES = [
  "unknown",
  "unsigned",
  "verified",
  "device_enforced",
  "unknown_signer",
  "invalid",
  "revoked",
  "stale",
] as const;
export const TrustState = z.enum(TRUST_STATES);
export type TrustState = z.infer<typeof TrustState>;

export const TrustVerdict = z.object({
  state: TrustState,
  reason: z.string(),
  signer: z.string().nullable(),
  buildSequence: z.number().int().nullable(),
  checkedAt: z.string().nullable(),
  firmwareSha256: Sha256Hex.nullable(),
});
export type TrustVerdict = z.infer<typeof TrustVerdict>;

/** Content-trust policy for OTA: `enforce` blocks firmware that is not verified, `warn` flashes and logs, `off`. */
export const TrustPolicy = z.enum(["enforce", "warn", "off"]);
export type TrustPolicy = z.infer<typeof TrustPolicy>;

/** The trust decision taken for one job: the verdict, the policy that applied and what it did. */
export const JobTrust = TrustVerdict.extend({
  policy: TrustPolicy,
  /** `allowed`: verified (or policy off); `warned`: not verified, went ahead under warn; `blocked`: refused. */
  outcome: z.enum(["allowed", "warned", "blocked"]),
  /** `approval` = the build was approved (compile), `gate` = the firmware about to be flashed was checked. */
  stage: z.enum(["approval", "gate"]),
});
export type JobTrust = z.infer<typeof JobTrust>;

/** One problem `esphome config` reported: where (config-relative file and line, when known) and what. */
export const ValidationError = z.object({
  file: z.string().nullable(),
  line: z.number().int().nullable(),
  message: z.string(),
});
export type ValidationError = z.infer<typeof ValidationError>;

/** A full git object name (sha1, or sha256 repositories). */
export const CommitId = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "expected a full commit id (hex)");

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

export const JobParams = z.object({
  /** ESPHome version for this job; null/absent = device pin, else fleet default. */
  esphomeVersion: EsphomeVersion.optional(),
  /**
   * Run only on this worker. A worker that never connected is refused at enqueue (400); one that is known
   * but offline leaves the job `blocked` until it connects.
   */
  workerId: WorkerId.optional(),
  /** Run only on workers carrying every one of these tags. */
  workerTags: z.array(Tag).optional(),
  /** Override the OTA address for compile_upload/upload. */
  address: OtaAddress.optional(),
  /** For `upload`: which archived firmware to flash (default: the device's last successful compile). */
  firmwareSha256: Sha256Hex.optional(),
  /**
   * Flashing actions: flash only when the device is online. An offline (or asleep) device is not tried;
   * its flash step waits in `waiting_for_device` (the build still runs now). "Arm" an update.
   */
  whenOnline: z.boolean().optional(),
});
export type JobParams = z.infer<typeof JobParams>;

export const Job = z.object({
  id: z.number().int().positive(),
  deviceId: DeviceId,
  action: JobAction,
  state: JobState,
  priority: JobPriority,
  params: JobParams,
  /** Who asked: `api`, `ha`, `card`, `schedule`, … (free text, for history). */
  source: z.string(),
  attempts: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  workerId: z.string().nullable(),
  /** Why the dispatcher picked that worker (affinity, least loaded, pinned, …). */
  dispatchReason: z.string().nullable(),
  /**
   * Why it is not running: while `blocked`, what no online worker has (a tag, the pinned worker), naming
   * the rule if one applies; while `waiting_for_device`, which device it waits for and since when.
   */
  blockedReason: z.string().nullable().optional(),
  /** While `waiting_for_device`: when the wait expires (the job then fails, its build kept). */
  waitingUntil: z.string().nullable().optional(),
  cancelRequested: z.boolean(),
  phase: JobPhase.nullable(),
  error: z.string().nullable(),
  configHash: Sha256Hex.nullable(),
  esphomeVersion: z.string().nullable(),
  firmware: z.array(FirmwareImage),
  logBytes: z.number().int().nonnegative(),
  logTruncated: z.boolean(),
  /** Build progress 0–100 while running, when the worker can tell. */
  progress: z.number().min(0).max(100).nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
  /** A failed `validate` job's structured errors from ESPHome (empty otherwise). */
  validationErrors: z.array(ValidationError).default([]),
  /** Content trust: the verdict and decision for this job's firmware, once one was taken. */
  trust: JobTrust.nullable().optional(),
  /** The config folder's commit the job's config was taken from (recorded at dispatch). */
  configCommit: CommitId.nullable().optional(),
  /** Flashing jobs: `build` or `flash` (JobStep); null for validate/compile. Absent from older sidecars. */
  step: JobStep.nullable().optional(),
  /** The approved archived image the flash step sends (set once the build was approved). */
  flashSha256: Sha256Hex.nullable().optional(),
  /** The worker that built the image; it is never given the flash. */
  builtBy: z.string().nullable().optional(),
});
export type Job = z.infer<typeof Job>;

export const WorkerSystem = z.object({
  hostname: z.string().max(255),
  os: z.string().max(255),
  arch: z.string().max(32),
  cpus: z.number().int().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  nodeVersion: z.string().max(32),
});
export type WorkerSystem = z.infer<typeof WorkerSystem>;

/**
 * Where a worker stands with the admin (see README "Security"): `pending` waits for a decision and gets no
 * job and no secret; `approved` builds; `rejected` was turned down (its key may not come back); `revoked`
 * lost its credential and key for good.
 */
export const WORKER_ENROLMENTS = ["pending", "approved", "rejected", "revoked"] as const;
export const WorkerEnrolment = z.enum(WORKER_ENROLMENTS);
export type WorkerEnrolment = z.infer<typeof WorkerEnrolment>;
/** SHA-256 of a public key's SPKI DER, lowercase hex: what people compare (worker keys, the sidecar's TLS key). */
export const KeyFingerprint = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 fingerprint (64 hex characters)");

export const Worker = z.object({
  id: z.string(),
  name: z.string(),
  online: z.boolean(),
  local: z.boolean(),
  enrolment: WorkerEnrolment,
  /** The fingerprint of the key the worker signs with (approved), or of the key it asks to enrol (pending). */
  keyFingerprint: KeyFingerprint.nullable(),
  /** A key waiting for the admin: a new worker's first key, or a new key under a known worker (rotation). */
  pendingKey: z
    .object({ fingerprint: KeyFingerprint, kind: z.enum(["enrol", "rotate"]), requestedAt: z.string() })
    .nullable(),
  slots: z.number().int().nonnegative(),
  busySlots: z.number().int().nonnegative(),
  /**
   * Routing hints, not a security boundary: a worker declares its own tags, and any worker with a token can
   * declare any tag. `tagsLocked`: an admin fixed them, and the worker's hello no longer changes them.
   */
  tags: z.array(Tag),
  tagsLocked: z.boolean(),
  platform: z.string().nullable(),
  system: WorkerSystem.nullable(),
  version: z.string().nullable(),
  esphomeVersions: z.array(z.string()),
  activeJobIds: z.array(z.number().int()),
  connectedAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  /** True when its last connection was refused for a version older than MIN_WORKER_VERSION. */
  outdated: z.boolean().optional(),
  /** Why the sidecar refused its last connection (the version gate), else null. */
  problem: z.string().nullable().optional(),
  /** Free space in the worker's state folder, from its latest heartbeat; null when unknown. */
  diskFreeBytes: z.number().int().nonnegative().nullable().optional(),
  /** Below the `workerMinFreeDiskMb` floor: dispatch skips the worker until space returns. */
  diskLow: z.boolean().optional(),
  /** Set by an admin (default `builder`); the built-in local worker is always a flasher too. */
  roles: z.array(WorkerRole).optional(),
});
export type Worker = z.infer<typeof Worker>;

export const WorkerToken = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  /** A credential from `worker join` belongs to one worker id (and its key) from the start. */
  workerId: z.string().nullable().optional(),
});
export type WorkerToken = z.infer<typeof WorkerToken>;

/**
 * A routing rule: devices matching every given criterion need workers carrying every one of `workerTags`.
 * Rules are ordered; the first that matches a device decides (see `routing.ts`).
 */
export const RoutingRule = z
  .object({
    /** Named in dispatch and blocked reasons, e.g. "esp32 builds on x86". */
    name: z.string().trim().min(1).max(80),
    match: z
      .object({
        /** The device carries every one of these tags. */
        tags: z.array(Tag).max(16).optional(),
        /** The device's platform is one of these (esp32, esp8266, rp2040, …). */
        platforms: z.array(z.string().min(1).max(32)).min(1).max(16).optional(),
        /** A glob (`*`, `?`) on the device id or its name, e.g. `kitchen-*`. */
        name: z.string().min(1).max(128).optional(),
      })
      .strict()
      .refine((m) => m.tags?.length || m.platforms?.length || m.name, "a rule matches on tags, platforms or name"),
    workerTags: z.array(Tag).min(1).max(16),
  })
  .strict();
export type RoutingRule = z.infer<typeof RoutingRule>;
export const RoutingRules = z
  .array(RoutingRule)
  .max(100)
  .refine((rules) => new Set(rules.map((r) => r.name)).size === rules.length, "routing rule names must be unique");

export const Settings = z.object({
  /** How long a running job's lease lasts without renewal before it returns to the queue. */
  leaseMs: z.number().int().min(1000).max(600_000),
  /** Dispatch attempts before a job whose lease keeps lapsing fails for good. */
  maxAttempts: z.number().int().min(1).max(20),
  /** Wall-clock limit for one job; past it the job ends `timed_out`. */
  jobTimeoutMs: z.number().int().min(10_000).max(14_400_000),
  /** Per-job log cap in bytes; older output is dropped behind a truncation marker. */
  logCapBytes: z
    .number()
    .int()
    .min(16_384)
    .max(64 * 1024 * 1024),
  /** Finished jobs older than this are deleted; 0 keeps them forever. */
  historyRetentionDays: z.number().int().min(0).max(3650),
  /** Slots of the built-in local worker; 0 turns it off. */
  localWorkerSlots: z.number().int().min(0).max(32),
  /** ESPHome version used when neither the job nor the device names one. */
  defaultEsphomeVersion: EsphomeVersion.nullable(),
  /** Seconds between full rescans of the config folder (the watcher catches most changes sooner). */
  rescanIntervalSec: z.number().int().min(5).max(3600),
  /** A device whose mDNS advertisements stay silent this long counts as offline. */
  presenceOfflineAfterSec: z.number().int().min(5).max(86_400),
  /**
   * How long a flash waits for an offline (or sleeping) device in `waiting_for_device` before it fails
   * (its build kept). Fractions allowed (0.25 = 15 minutes); default 168 (7 days).
   */
  deviceWaitHours: z.number().positive().max(8760),
  /** Content trust for OTA: `enforce` blocks firmware that is not verified, `warn` flashes and logs, `off`. */
  trustPolicy: z.enum(["enforce", "warn", "off"]),
  /**
   * New workers and new worker keys are approved without an admin decision (first setup only; every
   * automatic approval is logged). Off by default: a new worker waits as `pending`.
   */
  autoApproveWorkers: z.boolean(),
  /** Below this much free space on the sidecar's data folder new builds are refused with the reason (0 = off). */
  buildMinFreeDiskMb: z.number().int().min(0).max(1_048_576),
  /** Workers reporting less free space than this (MiB) in their state folder get no jobs (0 = off). */
  workerMinFreeDiskMb: z.number().int().min(0).max(1_048_576),
  /** Firmware archive: the newest builds kept per device (besides what it runs and what is staged). */
  firmwareKeepPerDevice: z.number().int().min(1).max(100),
  /** Firmware archive size cap in MiB; the oldest builds beyond it go first (0 = no cap). */
  firmwareArchiveMaxMb: z.number().int().min(0).max(1_048_576),
  /** Finished jobs kept at most, newest first, beside `historyRetentionDays` (0 = no count limit). */
  historyMaxJobs: z.number().int().min(0).max(10_000_000),
  /** A schedule run missed while the sidecar was down runs once at start if it is at most this late. */
  scheduleGraceSec: z.number().int().min(0).max(86_400),
  /** An alert (HA repairs issue, webhook) for a worker offline longer than this many minutes (0 = off). */
  workerOfflineAlertMin: z.number().int().min(0).max(10_080),
  /** An alert when this many builds of a device failed in a row (0 = off). */
  failingBuildsAlert: z.number().int().min(0).max(100),
  /** Hours between checks for a new ESPHome release (pip's index; 0 = never). */
  releaseCheckHours: z.number().int().min(0).max(168),
  /** Ordered routing rules: which devices need workers with which tags (first match decides). */
  routingRules: RoutingRules,
});
export type Settings = z.infer<typeof Settings>;
export const SettingsPatch = Settings.partial();
export type SettingsPatch = z.infer<typeof SettingsPatch>;
