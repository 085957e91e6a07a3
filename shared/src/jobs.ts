// Jobs: what can be asked of a device (actions and their groups), the states, priorities, phases and
// steps a job goes through, its parameters, and what it built (firmware images, validation errors).
import { z } from "zod";
import { CommitId, DeviceId, EsphomeVersion, OtaAddress, Sha256Hex, Tag, WorkerId } from "./domain.js";
import { JobTrust } from "./trust-verdict.js";

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
/** One problem `esphome config` reported: where (config-relative file and line, when known) and what. */
export const ValidationError = z.object({
  file: z.string().nullable(),
  line: z.number().int().nullable(),
  message: z.string(),
});
export type ValidationError = z.infer<typeof ValidationError>;
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
