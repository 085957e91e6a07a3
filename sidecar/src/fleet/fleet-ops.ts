// Wires the fleet operations into the running sidecar: schedules, alerts, the webhook, the ESPHome
// release check and the firmware archive's retention. Each part keeps its own rules (schedules/,
// notify/, firmware/retention*.ts); this only connects them to the queue, the inventory and the
// events stream, and owns their timers.
import {
  COMPILE_ACTIONS,
  TERMINAL_JOB_STATES,
  type Alert,
  type Device,
  type EsphomeRelease,
  type Schedule,
} from "@esphome-forge/shared";
import type { SettingsStore } from "../config/settings-store.js";
import type { Db } from "../db/database.js";
import type { DiskState } from "../durability/disk-state.js";
import type { EventBus } from "../events/event-bus.js";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import { defaultUnreferencedGraceMs, FirmwareRetention } from "../firmware/retention.js";
import type { Inventory } from "../inventory/inventory.js";
import { AlertCenter } from "../notify/alerts.js";
import type { NotificationsApi } from "../notify/notifications-api.js";
import { Notifier } from "../notify/notifier.js";
import { ReleaseWatch } from "../notify/release-watch.js";
import { WebhookSink } from "../notify/webhook.js";
import type { JobQueue } from "../queue/job-queue.js";
import { scheduleRunner } from "./schedule-runner.js";
import { ScheduleStore } from "../schedules/schedule-store.js";
import { Scheduler } from "../schedules/scheduler.js";
import type { Clock } from "../util/clock.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import type { WorkerTokens } from "../worker-hub/worker-tokens.js";
import type { JobService } from "./job-service.js";

export interface FleetOpsDeps {
  db: Db;
  clock: Clock;
  log: (msg: string) => void;
  instanceId: string;
  settings: SettingsStore;
  queue: JobQueue;
  inventory: Inventory;
  jobs: JobService;
  registry: WorkerRegistry;
  tokens: WorkerTokens;
  firmware: FirmwareStore;
  bus: EventBus;
  disk: DiskState;
  /** The newest ESPHome release pip offers. */
  newestEsphome: () => Promise<string>;
  /** Check for releases periodically (releaseCheckEnabled). */
  releaseCheck: boolean;
  /** Every device's view as it is now (the notifier's starting point for online/offline events). */
  devices: () => readonly Device[];
  /** How long an image nothing refers to is kept, when not the default (FORGE_FIRMWARE_GC_GRACE_MS, tests). */
  unreferencedGraceMs?: number;
}

export interface FleetOps {
  scheduler: Scheduler;
  notifications: NotificationsApi;
  /** The parts of the events snapshot they own. */
  snapshot(): { schedules: Schedule[]; alerts: Alert[]; esphomeRelease: EsphomeRelease | null };
  settingsChanged(): void;
  stop(): void;
}

const ALERT_CHECK_MS = 30_000;
/** Retention after builds finish: one pass for every build that finished within this. */
const AFTER_BUILDS_MS = 60_000;
const HOUR_MS = 3_600_000;

export function startFleetOps(d: FleetOpsDeps): FleetOps {
  const settings = () => d.settings.get();
  const guard = <T>(what: string, fn: () => T) => d.disk.guard(what, fn);
  const webhook = new WebhookSink({ db: d.db, clock: d.clock, sidecar: d.instanceId, log: d.log });
  const notifier = new Notifier(webhook, d.clock);
  notifier.knownDevices(d.devices());

  const scheduler = new Scheduler({
    store: new ScheduleStore(d.db),
    clock: d.clock,
    run: scheduleRunner(d.jobs),
    graceMs: () => settings().scheduleGraceSec * 1000,
    log: d.log,
    guard,
    onChange: (id, s) => d.bus.schedule(s ? "upsert" : "remove", id, s),
    onRun: (s, run) => notifier.scheduleRan(s, run),
  });

  const alerts = new AlertCenter({
    db: d.db,
    clock: d.clock,
    settings,
    queue: d.queue,
    workers: () => d.registry.list(),
    revoked: (workerId) => {
      const token = d.registry.tokenOf(workerId);
      return token !== null && d.tokens.list().some((t) => t.id === token && t.revokedAt !== null);
    },
    onChange: (op, alert, raised) => {
      d.bus.alert(op, alert.id, op === "remove" ? null : alert);
      notifier.alert(op, alert, raised);
    },
  });
  const checkAllDevices = () => d.inventory.list().forEach((dev) => alerts.checkDevice(dev.id));

  const release = new ReleaseWatch({
    db: d.db,
    clock: d.clock,
    settings,
    newest: d.newestEsphome,
    log: d.log,
    onChange: (r, isNew) => {
      d.bus.release(r);
      if (r && isNew) notifier.release(r);
    },
  });

  // The archive's one deletion policy: old builds, the size cap, and uploads nothing refers to.
  const unreferencedGraceMs = () => d.unreferencedGraceMs ?? defaultUnreferencedGraceMs(settings());
  const retention = new FirmwareRetention({
    db: d.db,
    firmware: d.firmware,
    queue: d.queue,
    deviceIds: () => d.inventory.list().map((dev) => dev.id),
    inUse: () => d.registry.online().flatMap((s) => s.pendingDigests()),
    settings,
    unreferencedGraceMs,
    clock: d.clock,
    log: d.log,
  });
  const retain = (fn: () => void) => guard("applying firmware retention", fn);

  d.queue.on("job", (job) => {
    notifier.job(job);
    if (!TERMINAL_JOB_STATES.includes(job.state)) return;
    guard("checking build alerts", () => alerts.checkDevice(job.deviceId));
    // A new build may push an older one out (uploads nothing names go with the periodic pass below). A pass
    // reads the whole archive's references: a fleet build finishing over minutes costs one pass a minute.
    if (job.state === "succeeded" && COMPILE_ACTIONS.includes(job.action)) retention.soon(AFTER_BUILDS_MS, retain);
  });
  d.queue.on("pruned", () => retention.soon(AFTER_BUILDS_MS, retain));
  d.bus.onDelta((e) => {
    if (e.type === "device") notifier.device(e.id, e.device);
    // Every job a worker starts or ends is a worker change: only an online worker's own alert is looked at
    // (the periodic check below raises offline alerts).
    else if (e.type === "worker" && e.worker?.online) guard("checking worker alerts", () => alerts.workerOnline(e.id));
  });
  d.inventory.on("remove", (id: string) => guard("clearing alerts", () => alerts.forgetDevice(id)));

  const timers = [
    setInterval(() => guard("checking worker alerts", () => alerts.checkWorkers()), ALERT_CHECK_MS),
    // Often enough that an unreferenced upload goes soon after its grace (hourly at most).
    setInterval(() => retain(() => void retention.run()), Math.min(HOUR_MS, Math.max(500, unreferencedGraceMs() / 2))),
  ];
  for (const t of timers) t.unref();

  scheduler.start().catch((err: unknown) => d.log(`schedules: catching up at start failed: ${(err as Error).message}`));
  if (d.releaseCheck) release.start();
  guard("checking alerts", () => {
    alerts.checkWorkers();
    checkAllDevices();
  });
  retention.soon(60_000, retain);

  return {
    scheduler,
    notifications: { alerts: () => alerts.list(), webhook, release },
    snapshot: () => ({ schedules: scheduler.list(), alerts: alerts.list(), esphomeRelease: release.current() }),
    settingsChanged: () => {
      release.settingsChanged();
      guard("checking alerts", () => {
        alerts.checkWorkers();
        checkAllDevices();
      });
      // Lowered limits apply now rather than at the next hourly pass.
      guard("pruning history", () => d.queue.pruneHistory());
      retention.soon(1000, retain);
    },
    stop: () => {
      for (const t of timers) clearInterval(t);
      scheduler.stop();
      release.stop();
      retention.stop();
      webhook.stop();
    },
  };
}
