// The card's one data interface. Two backends implement it (Home Assistant's WebSocket and the
// sidecar's own REST + events API); every view talks only to this.
import type {
  Alert,
  CreateJobsResponse,
  Device,
  EsphomeRelease,
  Job,
  LogEndEvent,
  LogEvent as SharedLogEvent,
  RoutingRule,
  Schedule,
  ScheduleCreate,
  SchedulePatch,
  ScheduleRun,
  SnapshotEvent,
  TrustStatus,
  Worker,
  DeltaEvent,
  WorkspaceStatus,
} from "@esphome-forge/shared";
import type { WorkspaceApi } from "./workspace-api.js";

export type { Alert, CreateJobsResponse, Device, EsphomeRelease, Job, RoutingRule, Schedule, ScheduleRun, Worker };

/**
 * `reconnecting`: this page lost its own connection (to the sidecar for the standalone page, to
 * Home Assistant for the card). `unreachable`: Home Assistant reports that IT lost the sidecar.
 */
export type ConnectionStatus = "connecting" | "live" | "reconnecting" | "unreachable" | "unauthorized" | "error";

export interface ForgeState {
  readonly status: ConnectionStatus;
  /** Why the connection is not live (shown to the user), else null. */
  readonly error: string | null;
  /** When the current not-live status began (ISO time), else null: "unreachable since …". */
  readonly since: string | null;
  /** True once a snapshot has arrived. */
  readonly loaded: boolean;
  /** Sequence number of the last applied snapshot or delta. */
  readonly seq: number;
  readonly devices: ReadonlyMap<string, Device>;
  readonly jobs: ReadonlyMap<number, Job>;
  readonly workers: ReadonlyMap<string, Worker>;
  readonly schedules: ReadonlyMap<number, Schedule>;
  readonly alerts: ReadonlyMap<string, Alert>;
  /** A newer ESPHome release than the fleet builds with, when the sidecar found one. */
  readonly esphomeRelease: EsphomeRelease | null;
  /** The config folder's history and remote push state (null: not known, or a sidecar without it). */
  readonly workspace: WorkspaceStatus | null;
}

export type StateEvent = SnapshotEvent | DeltaEvent;

/** A `log` event (a LogChunk, shared/src/events.ts) or the `log_end` that follows the last one. */
export type LogChunkEvent = SharedLogEvent;
export type { LogEndEvent };
export type LogEvent = LogChunkEvent | LogEndEvent;

/** What a log subscriber receives: gap-free text in order, a truncation notice, the end. */
export type LogUpdate =
  | { kind: "text"; text: string }
  | { kind: "truncated" }
  | { kind: "gap"; bytes: number }
  | { kind: "end"; state: string }
  | { kind: "error"; message: string };

export type Unsubscribe = () => void;

export interface ForgeDataSource {
  /** "ha" (through Home Assistant) or "direct" (the sidecar with a token). */
  readonly kind: "ha" | "direct";
  /** Calls `onState` now (when a state is known) and after every change. */
  subscribe(onState: (state: ForgeState) => void): Unsubscribe;
  /** Follows a job's log from a byte offset; chunks arrive stitched, without repeats. */
  subscribeLog(jobId: number, offset: number, onChunk: (update: LogUpdate) => void): Unsubscribe;
  /** `whenOnline` (with upload): build now, flash each device when it is online ("arm" the update). */
  compile(deviceIds: string[], opts: { upload: boolean; whenOnline?: boolean }): Promise<CreateJobsResponse>;
  /** Flashes each device's stored (staged) firmware, without recompiling. */
  upload(deviceIds: string[], opts?: { whenOnline?: boolean }): Promise<CreateJobsResponse>;
  cancel(jobId: number): Promise<Job>;
  /** The sidecar's trust status (needs admin rights: absent for HA users who are not admins). */
  readonly trustStatus?: TrustStatusSource;
  /** Editing schedules (admins only: absent for HA users who are not admins). */
  readonly schedules?: ScheduleActions;
  /** Reading and replacing the routing rules (admins only: absent for HA users who are not admins). */
  readonly routing?: RoutingActions;
  /** Approving or rejecting a waiting worker's key (admins only: absent for HA users who are not admins). */
  readonly enrolment?: EnrolmentActions;
  /** The config folder: edit, history, restore, new devices (absent when the backend has none). */
  readonly workspace?: WorkspaceApi;
}

/** Schedule edits; bodies are the sidecar's own (`shared/src/schedules.ts`), which checks them. */
export interface ScheduleActions {
  create(schedule: ScheduleCreate): Promise<Schedule>;
  update(id: number, patch: SchedulePatch): Promise<Schedule>;
  remove(id: number): Promise<void>;
  run(id: number): Promise<ScheduleRun>;
}

/** The ordered routing rules, replaced as a whole; the sidecar checks them (`RoutingRule` in shared). */
export interface RoutingActions {
  get(): Promise<RoutingRule[]>;
  set(rules: RoutingRule[]): Promise<RoutingRule[]>;
}

/** An admin's decision on a worker's waiting key; the fingerprint is the one the admin compared. */
export interface EnrolmentActions {
  approve(workerId: string, fingerprint: string): Promise<void>;
  reject(workerId: string): Promise<void>;
}

/** See TrustStatusFeed (`trust-status-feed.ts`). */
export interface TrustStatusSource {
  subscribe(fn: (u: { status: TrustStatus | null; error: string | null }) => void): Unsubscribe;
}

/** A backend error with the backend's own message, so the UI can show it as it is. */
export class ForgeError extends Error {
  constructor(
    message: string,
    readonly code: string = "error",
    readonly status: number | null = null,
    /** The backend's structured details (a save conflict's diff). */
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "ForgeError";
  }
}

/** Turns whatever a backend threw (Error, HA's {code, message}, a string) into a ForgeError. */
export function toForgeError(err: unknown): ForgeError {
  if (err instanceof ForgeError) return err;
  if (err instanceof Error) return new ForgeError(err.message);
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; error?: { code?: unknown; message?: unknown } };
    const inner = e.error && typeof e.error === "object" ? e.error : e;
    const message = typeof inner.message === "string" && inner.message ? inner.message : JSON.stringify(err);
    return new ForgeError(
      message,
      typeof inner.code === "string" ? inner.code : typeof inner.code === "number" ? String(inner.code) : "error",
    );
  }
  return new ForgeError(String(err));
}

/** Why Home Assistant cannot tell whether a device is online. */
export type PresenceGap =
  /** HA has no ESPHome integration (no ESPHome entities at all). */
  | "no_esphome"
  /** The ESPHome integration has no device matching this one (by MAC, else by name). */
  | "no_device"
  /** The matching device has no entities whose availability would tell. */
  | "no_entities";

/** What Home Assistant knows about a device that the sidecar does not (unknown = null). */
export interface DevicePresence {
  online: boolean | null;
  /** When `online` is null: why (absent on the standalone page, which has no HA to ask). */
  gap?: PresenceGap | null;
  /** ESPHome version the device reports running. */
  runningVersion: string | null;
  /** The device registry's full sw_version text, for tooltips. */
  swVersion: string | null;
}
