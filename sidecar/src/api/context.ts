import type { HealthResponse, InfoResponse } from "@esphome-forge/shared";
import type { SettingsStore } from "../config/settings-store.js";
import type { FailureLimiter } from "../edge/failure-limiter.js";
import type { HostPolicy } from "../edge/host-policy.js";
import type { EventTickets } from "../events/event-tickets.js";
import type { DiskState } from "../durability/disk-state.js";
import type { DeviceView } from "../fleet/device-view.js";
import type { DeviceViews } from "../fleet/device-views.js";
import type { JobService } from "../fleet/job-service.js";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { Inventory } from "../inventory/inventory.js";
import type { ForgeMetrics } from "../metrics/forge-metrics.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { WorkerHub } from "../worker-hub/worker-hub.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import type { WorkerTokens } from "../worker-hub/worker-tokens.js";
import type { TrustEngine } from "../trust/index.js";
import type { WorkerEnrolments } from "../worker-hub/worker-enrolment.js";
import type { WorkerPairing } from "../worker-hub/worker-pairing.js";
import type { SidecarTransport } from "../edge/transport.js";
import type { PresenceTracker } from "../presence/presence-tracker.js";
import type { EventLoopMonitor } from "../util/event-loop-monitor.js";
import type { NotificationsApi } from "../notify/notifications-api.js";
import type { Scheduler } from "../schedules/scheduler.js";
import type { DeviceOps } from "../workspace/device-ops.js";
import type { Workspace } from "../workspace/workspace.js";

/** Everything the REST routes need, handed in by the composition root (server.ts). */
export interface ApiContext {
  adminToken: string;
  /** A read-only token for GET /metrics (Prometheus, KEDA); null = only the admin token. */
  metricsToken: string | null;
  metrics: ForgeMetrics;
  /** Counts wrong tokens per client address (shared with the WebSocket upgrades). */
  limiter: FailureLimiter;
  hosts: HostPolicy;
  tickets: EventTickets;
  queue: JobQueue;
  inventory: Inventory;
  view: DeviceView;
  /** The device views in memory (GET /devices never rebuilds them). */
  devices: DeviceViews;
  jobs: JobService;
  registry: WorkerRegistry;
  tokens: WorkerTokens;
  hub: WorkerHub;
  /** Who may build: each worker key's admin decision, revocation. */
  enrolments: WorkerEnrolments;
  /** One-time pairing codes and the join they allow. */
  pairing: WorkerPairing;
  /** The sidecar's TLS certificate (GET /tls, rotation). */
  transport: SidecarTransport;
  firmware: FirmwareStore;
  settings: SettingsStore;
  info(): InfoResponse;
  health(): HealthResponse;
  publicDir: string | null;
  log: (msg: string) => void;
  /** Content trust; absent in tests that build a bare API. */
  trust?: TrustEngine;
  /** Device presence (online, running firmware). */
  presence: Pick<PresenceTracker, "haReport" | "knownMac">;
  /** Schedules (absent in tests that build a bare API). */
  schedules?: Scheduler;
  /** Alerts and the webhook (absent in tests that build a bare API). */
  notifications?: NotificationsApi;
  /** The data folder's disk: writes are refused with 507 while it is full. */
  disk?: Pick<DiskState, "full" | "message" | "retryAfterMs" | "report">;
  /** The benchmark's probes (FORGE_DEBUG_EVENT_LOOP=on), mounted under /debug. */
  debug?: { eventLoop: EventLoopMonitor; deviceViewsPending: () => number };
  /** The config folder's git history and editing; absent in tests that build a bare API. */
  workspace?: { ws: Workspace; ops: DeviceOps };
}
