// Schedules: builds that queue themselves, per device, per tag or for the whole fleet, on a cron
// expression in a time zone or once at a given time. Each run queues jobs with priority `scheduled`
// and source `schedule`, and is kept in the schedule's history.
import { z } from "zod";
import { cronProblem, isTimeZone } from "./cron.js";
import { DeviceId, Tag } from "./domain.js";

export const ScheduleTarget = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("device"), deviceId: DeviceId }).strict(),
  z.object({ kind: z.literal("tag"), tag: Tag }).strict(),
  z.object({ kind: z.literal("fleet") }).strict(),
]);
export type ScheduleTarget = z.infer<typeof ScheduleTarget>;

export const CronExpression = z
  .string()
  .min(1)
  .max(200)
  .superRefine((v, ctx) => {
    const problem = cronProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: `invalid cron expression: ${problem}` });
  });
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isTimeZone, "unknown time zone (use an IANA name such as Europe/Berlin, or UTC)");

/** When it runs: a cron expression read in a time zone, or once at an instant. */
export const ScheduleWhen = z.union([
  z.object({ cron: CronExpression, timeZone: TimeZone }).strict(),
  z.object({ at: z.iso.datetime({ offset: true }) }).strict(),
]);
export type ScheduleWhen = z.infer<typeof ScheduleWhen>;

export const ScheduleAction = z.enum(["compile", "compile_upload"]);
export type ScheduleAction = z.infer<typeof ScheduleAction>;

/**
 * - `queued`: jobs were queued (or already-waiting ones updated);
 * - `nothing_to_do`: no device matched, or with `onlyOutdated` none was outdated;
 * - `missed`: the sidecar was down (or its disk full) past the grace period: not run;
 * - `refused`: the builds were refused (disk below the build floor, every device's config unreadable).
 */
export const ScheduleRunOutcome = z.enum(["queued", "nothing_to_do", "missed", "refused"]);
export type ScheduleRunOutcome = z.infer<typeof ScheduleRunOutcome>;

export const ScheduleRun = z.object({
  id: z.number().int().positive(),
  scheduleId: z.number().int().positive(),
  /** The run time this run is for. */
  dueAt: z.string(),
  ranAt: z.string(),
  /** `schedule` on time, `startup` a run caught up when the sidecar started, `manual` run now. */
  trigger: z.enum(["schedule", "startup", "manual"]),
  outcome: ScheduleRunOutcome,
  jobIds: z.array(z.number().int()),
  skipped: z.array(z.object({ deviceId: z.string(), reason: z.string() })),
  /** In words: what was queued or why not (missed runs, refusals). */
  detail: z.string().nullable(),
});
export type ScheduleRun = z.infer<typeof ScheduleRun>;

export const Schedule = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  enabled: z.boolean(),
  target: ScheduleTarget,
  action: ScheduleAction,
  /** Only devices whose firmware is older than their config (Device.outdated). */
  onlyOutdated: z.boolean(),
  when: ScheduleWhen,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The next run; null when disabled or a one-time schedule has run. */
  nextRunAt: z.string().nullable(),
  lastRun: ScheduleRun.nullable(),
});
export type Schedule = z.infer<typeof Schedule>;

export const ScheduleCreate = z
  .object({
    name: z.string().max(128).default(""),
    enabled: z.boolean().default(true),
    target: ScheduleTarget,
    action: ScheduleAction.default("compile_upload"),
    onlyOutdated: z.boolean().default(false),
    when: ScheduleWhen,
  })
  .strict();
export type ScheduleCreate = z.input<typeof ScheduleCreate>;

export const SchedulePatch = z
  .object({
    name: z.string().max(128).optional(),
    enabled: z.boolean().optional(),
    target: ScheduleTarget.optional(),
    action: ScheduleAction.optional(),
    onlyOutdated: z.boolean().optional(),
    when: ScheduleWhen.optional(),
  })
  .strict();
export type SchedulePatch = z.infer<typeof SchedulePatch>;

export const ScheduleList = z.object({ schedules: z.array(Schedule) });
export const ScheduleRunList = z.object({ runs: z.array(ScheduleRun) });
export const ScheduleRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

/** Whether a schedule covers a device: the device itself, one of its tags, or the whole fleet. */
export function scheduleCovers(target: ScheduleTarget, device: { id: string; tags: readonly string[] }): boolean {
  if (target.kind === "fleet") return true;
  if (target.kind === "device") return target.deviceId === device.id;
  return device.tags.includes(target.tag);
}
