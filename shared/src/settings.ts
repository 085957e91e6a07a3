// The sidecar's settings, with the ordered routing rules among them.
import { z } from "zod";
import { EsphomeVersion, Tag } from "./domain.js";

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
