// Through Home Assistant: the `esphome_forge` integration's WebSocket commands
// (docs/ha-websocket-api.md). The browser never sees the sidecar token; HA checks admin rights.
// HA's connection re-subscribes after a reconnect and the integration then sends a fresh snapshot.
// When HA itself loses the sidecar it says so (`unreachable`); the next snapshot means it is back.
// A refused subscription (integration not loaded yet, entry still retrying) is tried again.
import type { CreateJobsResponse, Job, RoutingRule, Schedule, ScheduleRun, TrustStatus } from "@esphome-forge/shared";
import { Backoff } from "@esphome-forge/shared/backoff";
import { LogStitcher } from "./log-stitch.js";
import { StateHub } from "./state-hub.js";
import { TrustStatusFeed, trustChanged } from "./trust-status-feed.js";
import type { WorkspaceApi } from "./workspace-api.js";
import { haWorkspace } from "./workspace-ha.js";
import {
  ForgeError,
  toForgeError,
  type ForgeDataSource,
  type ForgeState,
  type LogEvent,
  type LogUpdate,
  type EnrolmentActions,
  type RoutingActions,
  type ScheduleActions,
  type StateEvent,
  type Unsubscribe,
} from "./types.js";

/** HA-only event on `esphome_forge/subscribe`: HA lost the sidecar (docs/ha-websocket-api.md). */
export interface UnreachableEvent {
  type: "unreachable";
  since: string | null;
  error: string | null;
}

export interface HaMessage {
  type: string;
  [key: string]: unknown;
}

/** The part of home-assistant-js-websocket's `Connection` the card uses. */
export interface HaConnectionLike {
  subscribeMessage<T>(
    callback: (result: T) => void,
    message: HaMessage,
    options?: { resubscribe?: boolean },
  ): Promise<() => Promise<void>>;
  sendMessagePromise<T>(message: HaMessage): Promise<T>;
  addEventListener?(event: "ready" | "disconnected", cb: () => void): void;
  removeEventListener?(event: "ready" | "disconnected", cb: () => void): void;
}

export const HA_COMMANDS = {
  subscribe: "esphome_forge/subscribe",
  jobLog: "esphome_forge/job_log",
  compile: "esphome_forge/compile",
  upload: "esphome_forge/upload",
  cancel: "esphome_forge/cancel",
  trustStatus: "esphome_forge/trust_status",
  scheduleCreate: "esphome_forge/schedules/create",
  scheduleUpdate: "esphome_forge/schedules/update",
  scheduleDelete: "esphome_forge/schedules/delete",
  scheduleRun: "esphome_forge/schedules/run",
  routingRules: "esphome_forge/routing_rules",
  routingRulesSet: "esphome_forge/routing_rules/set",
  workerApprove: "esphome_forge/worker_approve",
  workerReject: "esphome_forge/worker_reject",
} as const;

/** HA's error codes in words a user can act on; the integration's own messages pass through. */
export function haError(err: unknown): ForgeError {
  const e = toForgeError(err);
  if (e.code === "unknown_command") {
    return new ForgeError(
      "The Forge for ESPHome integration is not loaded in Home Assistant (add it under Settings → Devices & services).",
      e.code,
    );
  }
  if (e.code === "unauthorized")
    return new ForgeError(`Only Home Assistant administrators can do this (${e.message}).`, e.code);
  return e;
}

export class HaSource implements ForgeDataSource {
  readonly kind = "ha";
  private readonly hub = new StateHub({ start: () => this.start(), stop: () => this.stop() });
  private unsubscribe: Promise<(() => Promise<void>) | null> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly backoff = new Backoff({ minMs: 2_000, maxMs: 30_000 });
  private readonly onDisconnected = () =>
    this.hub.status("reconnecting", "Home Assistant connection lost; reconnecting…");
  private readonly onReady = () => this.hub.status("connecting");
  /** Policy, revocation list and log check (admins only); refetched when a device's trust changes. */
  readonly trustStatus: TrustStatusFeed | undefined;
  /** Schedule edits (admins only, like the integration's commands). */
  readonly schedules: ScheduleActions | undefined;
  /** Routing rules (admins only). */
  readonly routing: RoutingActions | undefined;
  readonly enrolment: EnrolmentActions | undefined;

  constructor(
    readonly connection: HaConnectionLike,
    readonly entryId: string | null = null,
    /** Whether the HA user is an admin: the trust status command is admin-only, like the actions. */
    admin = true,
  ) {
    this.trustStatus = admin
      ? new TrustStatusFeed(() => this.call<TrustStatus>(HA_COMMANDS.trustStatus, {}))
      : undefined;
    this.schedules = admin
      ? {
          create: (schedule) => this.call<Schedule>(HA_COMMANDS.scheduleCreate, { schedule }),
          update: (id, patch) => this.call<Schedule>(HA_COMMANDS.scheduleUpdate, { schedule_id: id, patch }),
          remove: async (id) => void (await this.call(HA_COMMANDS.scheduleDelete, { schedule_id: id })),
          run: (id) => this.call<ScheduleRun>(HA_COMMANDS.scheduleRun, { schedule_id: id }),
        }
      : undefined;
    this.routing = admin
      ? {
          get: () => this.call<RoutingRule[]>(HA_COMMANDS.routingRules, {}),
          set: (rules) => this.call<RoutingRule[]>(HA_COMMANDS.routingRulesSet, { rules }),
        }
      : undefined;
    this.enrolment = admin
      ? {
          approve: async (workerId, fingerprint) =>
            void (await this.call(HA_COMMANDS.workerApprove, { worker_id: workerId, fingerprint })),
          reject: async (workerId) => void (await this.call(HA_COMMANDS.workerReject, { worker_id: workerId })),
        }
      : undefined;
  }

  get state(): ForgeState {
    return this.hub.state;
  }

  subscribe(onState: (s: ForgeState) => void): Unsubscribe {
    return this.hub.subscribe(onState);
  }

  subscribeLog(jobId: number, offset: number, onChunk: (u: LogUpdate) => void): Unsubscribe {
    const stitcher = new LogStitcher(jobId, offset);
    let closed = false;
    const pending = this.connection
      .subscribeMessage<LogEvent>(
        (e) => {
          if (!closed) for (const u of stitcher.accept(e)) onChunk(u);
        },
        this.message(HA_COMMANDS.jobLog, { job_id: jobId, offset }),
        { resubscribe: true },
      )
      .catch((err: unknown) => {
        if (!closed) onChunk({ kind: "error", message: haError(err).message });
        return null;
      });
    return () => {
      closed = true;
      void pending.then((unsub) => unsub?.().catch(() => undefined));
    };
  }

  /** The config folder through HA's `esphome_forge/config_*` commands (writes: administrators). */
  readonly workspace: WorkspaceApi = haWorkspace((type, params) => this.call(type, params));

  compile(deviceIds: string[], opts: { upload: boolean; whenOnline?: boolean }): Promise<CreateJobsResponse> {
    return this.call<CreateJobsResponse>(HA_COMMANDS.compile, {
      device_ids: deviceIds,
      upload: opts.upload,
      ...(opts.whenOnline ? { when_online: true } : {}),
    });
  }

  upload(deviceIds: string[], opts: { whenOnline?: boolean } = {}): Promise<CreateJobsResponse> {
    return this.call<CreateJobsResponse>(HA_COMMANDS.upload, {
      device_ids: deviceIds,
      ...(opts.whenOnline ? { when_online: true } : {}),
    });
  }

  cancel(jobId: number): Promise<Job> {
    return this.call<Job>(HA_COMMANDS.cancel, { job_id: jobId });
  }

  private async call<T>(type: string, params: Record<string, unknown>): Promise<T> {
    try {
      return await this.connection.sendMessagePromise<T>(this.message(type, params));
    } catch (err) {
      throw haError(err);
    }
  }

  private message(type: string, params: Record<string, unknown> = {}): HaMessage {
    return this.entryId ? { type, ...params, entry_id: this.entryId } : { type, ...params };
  }

  private start(): void {
    this.connection.addEventListener?.("disconnected", this.onDisconnected);
    this.connection.addEventListener?.("ready", this.onReady);
    this.subscribeState();
  }

  private subscribeState(): void {
    this.retryTimer = null;
    this.unsubscribe = this.connection
      .subscribeMessage<StateEvent | UnreachableEvent>((e) => this.onEvent(e), this.message(HA_COMMANDS.subscribe), {
        resubscribe: true,
      })
      .catch((err: unknown) => {
        const e = haError(err);
        this.hub.status("error", e.message);
        // Not loaded yet (HA starting, the entry retrying its setup): ask again. Refusals that a
        // retry cannot fix (a wrong entry id in the card config is also not_found) back off to 30 s.
        if (this.unsubscribe) this.retryTimer = setTimeout(() => this.subscribeState(), this.backoff.next());
        return null;
      });
  }

  private onEvent(e: StateEvent | UnreachableEvent): void {
    this.backoff.reset();
    if (e.type === "unreachable") {
      this.hub.status("unreachable", e.error, e.since);
      return;
    }
    // A fresh snapshot (first, or after a reconnect) or a device whose trust changed: ask again.
    if (e.type === "snapshot" || (e.type === "device" && trustChanged(this.hub.state.devices.get(e.id), e.device)))
      this.trustStatus?.refresh();
    this.hub.apply(e);
  }

  private stop(): void {
    this.connection.removeEventListener?.("disconnected", this.onDisconnected);
    this.connection.removeEventListener?.("ready", this.onReady);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const pending = this.unsubscribe;
    this.unsubscribe = null;
    void pending?.then((unsub) => unsub?.().catch(() => undefined));
  }
}
