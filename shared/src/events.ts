// The events WebSocket at /api/v1/events: a snapshot, then deltas; plus per-job log tails.
import { z } from "zod";
import { Device } from "./devices.js";
import { Job } from "./jobs.js";
import { Worker } from "./workers.js";
import { Alert, EsphomeRelease } from "./notifications.js";
import { Schedule } from "./schedules.js";
import { WorkspaceStatus } from "./workspace-api.js";

/**
 * Close codes of the events socket. Frames the WebSocket layer rejects close with the standard
 * codes: 1002 (protocol error: bad opcode, reserved bits, fragmented or oversized control frame,
 * unmasked frame), 1007 (text that is not UTF-8), 1009 (message larger than the limit).
 */
export const EventsCloseCode = { unauthorized: 4003, slowConsumer: 4008, invalidMessage: 4004 } as const;
/** The reason sent with the slow-consumer close (4008). */
export const SLOW_CONSUMER_REASON = "slow consumer: too far behind; reconnect to resync";

// ---- authentication at the upgrade -------------------------------------------------------------
// Every events socket is authenticated before the WebSocket exists: by `Authorization: Bearer
// <admin token>` (HA, the CLI, scripts), or, for browsers, by a ticket (events-protocol.ts).

export { EVENTS_SUBPROTOCOL, EVENTS_TICKET_PREFIX, eventsProtocols } from "./events-protocol.js";
export const EventsTicketResponse = z.object({
  /** base64url; offer it as the subprotocol `forge.ticket.<ticket>`. */
  ticket: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
  /** After this instant (or after one use) the ticket is refused. */
  expiresAt: z.string(),
});
export type EventsTicketResponse = z.infer<typeof EventsTicketResponse>;

// ---- client → sidecar -------------------------------------------------------------------------

export const SubscribeLogMessage = z.object({
  type: z.literal("subscribe_log"),
  jobId: z.number().int().positive(),
  /** Byte offset in the stored log to start from (0 = from the start of what is kept). */
  offset: z.number().int().min(0).default(0),
});
export const UnsubscribeLogMessage = z.object({
  type: z.literal("unsubscribe_log"),
  jobId: z.number().int().positive(),
});
export const PingClientMessage = z.object({ type: z.literal("ping"), id: z.number().int().optional() });

export const EventsClientMessage = z.discriminatedUnion("type", [
  SubscribeLogMessage,
  UnsubscribeLogMessage,
  PingClientMessage,
]);
export type EventsClientMessage = z.infer<typeof EventsClientMessage>;

// ---- sidecar → client -------------------------------------------------------------------------

export const SnapshotEvent = z.object({
  type: z.literal("snapshot"),
  seq: z.number().int(),
  devices: z.array(Device),
  /** Active jobs plus the most recent finished ones. */
  jobs: z.array(Job),
  workers: z.array(Worker),
  /** Every schedule with its next and last run (absent from sidecars that predate schedules). */
  schedules: z.array(Schedule).optional(),
  /** Active alerts (HA shows each as a repairs issue). */
  alerts: z.array(Alert).optional(),
  /** A newer ESPHome release than the fleet builds with, when one was found. */
  esphomeRelease: EsphomeRelease.nullable().optional(),
  /** The config folder's history and remote push state (absent from sidecars that predate it). */
  workspace: WorkspaceStatus.optional(),
});
export type SnapshotEvent = z.infer<typeof SnapshotEvent>;

export const DeviceEvent = z.object({
  type: z.literal("device"),
  seq: z.number().int(),
  op: z.enum(["upsert", "remove"]),
  id: z.string(),
  device: Device.nullable(),
});
export const JobEvent = z.object({
  type: z.literal("job"),
  seq: z.number().int(),
  op: z.enum(["upsert", "remove"]),
  id: z.number().int(),
  job: Job.nullable(),
});
export const WorkerEvent = z.object({
  type: z.literal("worker"),
  seq: z.number().int(),
  op: z.enum(["upsert", "remove"]),
  id: z.string(),
  worker: Worker.nullable(),
});
export const ScheduleEvent = z.object({
  type: z.literal("schedule"),
  seq: z.number().int(),
  op: z.enum(["upsert", "remove"]),
  id: z.number().int(),
  schedule: Schedule.nullable(),
});
export const AlertEvent = z.object({
  type: z.literal("alert"),
  seq: z.number().int(),
  op: z.enum(["upsert", "remove"]),
  id: z.string(),
  alert: Alert.nullable(),
});
/** The newest ESPHome release changed (or was first found): replaces the snapshot's `esphomeRelease`. */
export const ReleaseEvent = z.object({
  type: z.literal("release"),
  seq: z.number().int(),
  release: EsphomeRelease.nullable(),
});
/** The config workspace's status changed (a commit, a push, a push failure). */
export const WorkspaceEvent = z.object({
  type: z.literal("workspace"),
  seq: z.number().int(),
  status: WorkspaceStatus,
});
/** One piece of a job's stored log: the queue emits it, the event bus fans it out, `log` events carry it. */
export const LogChunk = z.object({
  jobId: z.number().int(),
  /** Byte offset of `chunk` in the stored log; lets a client resume without gaps or repeats. */
  offset: z.number().int(),
  chunk: z.string(),
  /** True when older output before `offset` was dropped by the log cap. */
  truncatedBefore: z.boolean().optional(),
});
export type LogChunk = z.infer<typeof LogChunk>;
export const LogEvent = z.object({ type: z.literal("log"), ...LogChunk.shape });
export type LogEvent = z.infer<typeof LogEvent>;
export const LogEndEvent = z.object({ type: z.literal("log_end"), jobId: z.number().int(), state: z.string() });
export type LogEndEvent = z.infer<typeof LogEndEvent>;
export const PongEvent = z.object({ type: z.literal("pong"), id: z.number().int().optional() });
export const ErrorEvent = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });

export const EventsServerMessage = z.discriminatedUnion("type", [
  SnapshotEvent,
  DeviceEvent,
  JobEvent,
  WorkerEvent,
  ScheduleEvent,
  AlertEvent,
  ReleaseEvent,
  WorkspaceEvent,
  LogEvent,
  LogEndEvent,
  PongEvent,
  ErrorEvent,
]);
export type EventsServerMessage = z.infer<typeof EventsServerMessage>;
export type DeltaEvent =
  | z.infer<typeof DeviceEvent>
  | z.infer<typeof JobEvent>
  | z.infer<typeof WorkerEvent>
  | z.infer<typeof ScheduleEvent>
  | z.infer<typeof AlertEvent>
  | z.infer<typeof ReleaseEvent>
  | z.infer<typeof WorkspaceEvent>;
