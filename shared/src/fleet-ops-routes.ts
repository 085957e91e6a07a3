// The fleet operations' routes of the route table (shared/src/api-routes.ts): settings and the events
// ticket, schedules, alerts, notifications and the ESPHome release check.
import { z } from "zod";
import { PositiveIntParam, SettingsResponse } from "./api.js";
import { SettingsPatch } from "./settings.js";
import { EventsTicketResponse } from "./events.js";
import { AlertList, EsphomeRelease, WebhookConfig, WebhookPut, WebhookPutResponse } from "./notifications.js";
import { okResponse, type RouteSpec } from "./route-spec.js";
import {
  Schedule,
  ScheduleCreate,
  ScheduleList,
  SchedulePatch,
  ScheduleRun,
  ScheduleRunList,
  ScheduleRunsQuery,
} from "./schedules.js";

const scheduleIdParams = z.object({ id: PositiveIntParam });

export const SETTINGS_ROUTES: RouteSpec[] = [
  {
    method: "get",
    path: "/settings",
    summary: "Current settings",
    auth: true,
    response: SettingsResponse,
    tag: "settings",
  },
  {
    method: "patch",
    path: "/settings",
    summary:
      "Change settings. `routingRules` replaces the ordered routing rules as a whole (the first rule matching a " +
      "device decides which worker tags its jobs need); jobs no online worker can then take become `blocked`, " +
      "and blocked jobs a worker can now take go back to `queued`",
    auth: true,
    body: SettingsPatch,
    response: SettingsResponse,
    tag: "settings",
  },
  {
    method: "post",
    path: "/events/ticket",
    summary:
      "A single-use ticket (valid 30 s) for a browser to open the events WebSocket: offer the subprotocols " +
      "`forge.events.v1` and `forge.ticket.<ticket>`. Clients that can set headers use `Authorization` instead",
    auth: true,
    response: EventsTicketResponse,
    statuses: { 201: "Ticket issued" },
    tag: "events",
  },
];

export const SCHEDULE_ROUTES: RouteSpec[] = [
  {
    method: "get",
    path: "/schedules",
    summary: "Every schedule with its next run and its last run",
    auth: true,
    response: ScheduleList,
    tag: "schedules",
  },
  {
    method: "post",
    path: "/schedules",
    summary:
      "Create a schedule: a device, a tag or the fleet; compile or compile_upload; a cron expression in a time zone or one run at a time",
    auth: true,
    body: ScheduleCreate,
    response: Schedule,
    statuses: { 201: "The schedule was created; `nextRunAt` says when it runs first" },
    tag: "schedules",
  },
  {
    method: "get",
    path: "/schedules/:id",
    params: scheduleIdParams,
    summary: "One schedule",
    auth: true,
    response: Schedule,
    tag: "schedules",
  },
  {
    method: "patch",
    path: "/schedules/:id",
    params: scheduleIdParams,
    summary: "Change a schedule (its next run is computed again when its timing changes or it is re-enabled)",
    auth: true,
    body: SchedulePatch,
    response: Schedule,
    tag: "schedules",
  },
  {
    method: "delete",
    path: "/schedules/:id",
    params: scheduleIdParams,
    summary: "Delete a schedule and its history (jobs it queued stay)",
    auth: true,
    response: okResponse,
    tag: "schedules",
  },
  {
    method: "get",
    path: "/schedules/:id/runs",
    params: scheduleIdParams,
    query: ScheduleRunsQuery,
    summary: "A schedule's run history, newest first (the latest 100 are kept)",
    auth: true,
    response: ScheduleRunList,
    tag: "schedules",
  },
  {
    method: "post",
    path: "/schedules/:id/run",
    params: scheduleIdParams,
    summary: "Run a schedule now (its next run does not move)",
    auth: true,
    response: ScheduleRun,
    statuses: { 201: "The run was recorded; its outcome says what was queued" },
    tag: "schedules",
  },
];

export const NOTIFICATION_ROUTES: RouteSpec[] = [
  {
    method: "get",
    path: "/alerts",
    summary: "Active alerts: workers offline too long, devices whose builds keep failing",
    auth: true,
    response: AlertList,
    tag: "notifications",
  },
  {
    method: "get",
    path: "/notifications/webhook",
    summary: "The webhook events are posted to (the signing secret is never shown)",
    auth: true,
    response: WebhookConfig,
    tag: "notifications",
  },
  {
    method: "put",
    path: "/notifications/webhook",
    summary:
      "Set the webhook URL (null turns it off), its HMAC secret (generated and shown once when none is given) and the events to send",
    auth: true,
    body: WebhookPut,
    response: WebhookPutResponse,
    tag: "notifications",
  },
  {
    method: "post",
    path: "/notifications/webhook/test",
    summary: "Send a `test` event to the webhook (delivered in the background, with retries)",
    auth: true,
    response: z.object({ ok: z.literal(true), id: z.string() }),
    tag: "notifications",
  },
  {
    method: "post",
    path: "/esphome/releases/check",
    summary:
      "Ask pip for the newest ESPHome release now (the sidecar also does every releaseCheckHours); answers the release available, if any",
    auth: true,
    response: z.object({ release: EsphomeRelease.nullable() }),
    tag: "notifications",
  },
];
