// What the sidecar tells people about: alerts (conditions that need someone, raised and cleared by
// the sidecar; Home Assistant shows each as a repairs issue), a new ESPHome release, and the events a
// webhook receives (one JSON POST per event, signed with HMAC-SHA256) for users without Home Assistant.
import { z } from "zod";

export const ALERT_KINDS = ["worker_offline", "builds_failing"] as const;
export const AlertKind = z.enum(ALERT_KINDS);

/**
 * A condition that needs the operator, active from `since` until the sidecar clears it:
 * - `worker_offline`: a worker has been offline longer than `workerOfflineAlertMin` (subject: its id);
 * - `builds_failing`: a device's last `failingBuildsAlert` builds all failed (subject: its id).
 */
export const Alert = z.object({
  /** `<kind>:<subject>`: stable while the condition lasts. */
  id: z.string(),
  kind: AlertKind,
  subject: z.string(),
  since: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
});
export type Alert = z.infer<typeof Alert>;
export const AlertList = z.object({ alerts: z.array(Alert) });

/** A newer ESPHome release than the fleet builds with, found by the periodic check. */
export const EsphomeRelease = z.object({
  version: z.string(),
  /** ESPHome's changelog for the release. */
  releaseNotesUrl: z.string(),
  detectedAt: z.string(),
  /** The fleet's default version when it was found (what builds use without a pin). */
  fleetVersion: z.string().nullable(),
});
export type EsphomeRelease = z.infer<typeof EsphomeRelease>;

/** ESPHome publishes one changelog page per minor release (2026.10.0 and 2026.10.3 share one). */
export function esphomeReleaseNotesUrl(version: string): string {
  const [year, month] = version.split(".");
  return `https://esphome.io/changelog/${year}.${month}.0.html`;
}

export const NOTICE_EVENTS = [
  "job_finished",
  "schedule_ran",
  "esphome_release",
  "device_online",
  "device_offline",
  "alert_raised",
  "alert_cleared",
  "test",
] as const;
export const NoticeEvent = z.enum(NOTICE_EVENTS);
export type NoticeEvent = z.infer<typeof NoticeEvent>;

/** The body of one webhook POST. */
export const Notice = z.object({
  /** Unique per event; repeated deliveries of one event carry the same id (X-Forge-Delivery). */
  id: z.string(),
  event: NoticeEvent,
  at: z.string(),
  /** The sidecar's instance id, for receivers that hear from several. */
  sidecar: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type Notice = z.infer<typeof Notice>;

export const WebhookDelivery = z.object({
  at: z.string(),
  event: NoticeEvent,
  ok: z.boolean(),
  /** HTTP status, null when the request failed before an answer. */
  status: z.number().int().nullable(),
  attempts: z.number().int().positive(),
  error: z.string().nullable(),
});

export const WebhookConfig = z.object({
  /** Where events go (http or https); null = no webhook. */
  url: z.string().nullable(),
  /** Whether a signing secret is set (the secret itself is never shown again). */
  secretSet: z.boolean(),
  /** Events sent; empty = all. */
  events: z.array(NoticeEvent),
  lastDelivery: WebhookDelivery.nullable(),
  /** Events waiting to be delivered (including retries). */
  pending: z.number().int().nonnegative(),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: "the webhook URL must be an http:// or https:// URL" })
  .max(2048);

export const WebhookPut = z
  .object({
    url: WebhookUrl.nullable(),
    /** The HMAC key (16–256 characters); absent: keep the current one, or generate one if there is none. */
    secret: z.string().min(16).max(256).optional(),
    events: z.array(NoticeEvent).max(NOTICE_EVENTS.length).default([]),
  })
  .strict();
export type WebhookPut = z.input<typeof WebhookPut>;

/** The answer to PUT: the config, plus the secret when the sidecar generated it (shown this once). */
export const WebhookPutResponse = WebhookConfig.extend({ secret: z.string().optional() });

/** Headers of every webhook POST. The signature is HMAC-SHA256 over `<timestamp>.<body>`, hex. */
export const WEBHOOK_HEADERS = {
  signature: "x-forge-signature",
  timestamp: "x-forge-timestamp",
  event: "x-forge-event",
  delivery: "x-forge-delivery",
} as const;
