// Composition root: opens the database, starts the inventory, wires queue ⇄ workers ⇄ API ⇄
// events, and listens. Everything else receives its collaborators from here.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  API_PREFIX,
  TERMINAL_JOB_STATES,
  WORKER_PROTOCOL_VERSION,
  type HealthResponse,
  type Settings,
} from "@esphome-forge/shared";
import { createApp } from "./api/app.js";
import type { ApiContext } from "./api/context.js";
import { dataPaths } from "./config/paths.js";
import { SettingsStore } from "./config/settings-store.js";
import { defaultProbeEnabled, recordDefaultEsphomeVersionInBackground } from "./config/default-esphome-version.js";
import { findPython } from "./build-worker/esphome-versions/python.js";
import { openDatabase, type Db } from "./db/database.js";
import { Dispatcher } from "./dispatch/dispatcher.js";
import { EventBus } from "./events/event-bus.js";
import { EventsServer } from "./events/events-server.js";
import { FleetAssignmentBuilder } from "./fleet/assignment-builder.js";
import { DeviceView } from "./fleet/device-view.js";
import { DeviceViews } from "./fleet/device-views.js";
import { JobService } from "./fleet/job-service.js";
import { FirmwareStore } from "./firmware/firmware-store.js";
import { findEsphome, Inventory, seedExamples } from "./inventory/inventory.js";
import { LocalWorker } from "./worker-hub/local-worker.js";
import { JobQueue } from "./queue/job-queue.js";
import { systemClock, type Clock } from "./util/clock.js";
import { SIDECAR_VERSION } from "./util/version.js";
import { EventLoopMonitor } from "./util/event-loop-monitor.js";
import { WorkerHub } from "./worker-hub/worker-hub.js";
import { WorkerMessages } from "./worker-hub/worker-messages.js";
import { WorkerRegistry } from "./worker-hub/worker-registry.js";
import { WorkerTokens } from "./worker-hub/worker-tokens.js";
import { ZeroconfAdvertiser } from "./discovery/zeroconf-advertiser.js";
import { DeviceAnnouncer } from "./fleet/device-announcer.js";
import { EngineTrustSource } from "./fleet/engine-trust-source.js";
import { TrustEngine } from "./trust/index.js";
import type { CheckedAudit } from "./trust/log/log-auditor.js";
import { WorkerTrustGate } from "./worker-hub/worker-trust-gate.js";
import { RevocationExpiryTimer } from "./trust/revocation/expiry-timer.js";
import { externalImage } from "./fleet/external-image.js";

export interface SidecarOptions {
  dataDir: string;
  configDir?: string;
  host: string;
  port: number;
  adminToken?: string | null;
  /** Settings given on the command line win over stored ones for this run. */
  overrides?: Partial<Settings>;
  buildCommand?: string | null;
  esphomeBin?: string | null;
  seed?: boolean;
  /** Advertise on the LAN as `_esphome-forge._tcp` (default true; never when listening on loopback only). */
  zeroconf?: boolean;
  publicDir?: string | null;
  log?: (msg: string) => void;
  clock?: Clock;
}

/** At start, trust verdicts are evaluated for this long before listening; the rest follow in the background. */
const START_TRUST_BUDGET_MS = 100;
/** How long remote workers get, beyond one lease, to reconnect after a sidecar restart (their backoff caps at 30 s). */
const RECONNECT_GRACE_MS = 15_000;
const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL("../public", import.meta.url));

export class Sidecar {
  private timers: NodeJS.Timeout[] = [];
  private zeroconf: ZeroconfAdvertiser | null = null;
  private constructor(
    readonly url: string,
    readonly adminToken: string,
    private readonly server: Server,
    private readonly db: Db,
    private readonly parts: {
      inventory: Inventory;
      hub: WorkerHub;
      events: EventsServer;
      local: LocalWorker;
      expiry: RevocationExpiryTimer;
      eventLoop: EventLoopMonitor | null;
    },
  ) {}

  static async start(opts: SidecarOptions): Promise<Sidecar> {
    const log = opts.log ?? ((m: string) => console.log(m));
    const clock = opts.clock ?? systemClock;
    const paths = dataPaths(opts.dataDir, opts.configDir);
    for (const dir of [paths.dataDir, paths.configDir, paths.firmwareDir]) mkdirSync(dir, { recursive: true });
    const adminToken = opts.adminToken ?? loadOrCreateAdminToken(paths.adminTokenFile);
    const startedAt = new Date(clock.now()).toISOString();

    const db = openDatabase(paths.dbFile);
    const settings = new SettingsStore(db, opts.overrides);
    const queue = new JobQueue(db, () => settings.get(), clock);
    const firmware = new FirmwareStore(db, paths.firmwareDir, clock);
    if (opts.seed !== false) {
      const seeded = await seedExamples(paths.configDir);
      if (seeded.length) log(`seeded example devices: ${seeded.join(", ")}`);
    }
    const esphome = await findEsphome(opts.esphomeBin ?? null);
    const inventory = new Inventory({
      configDir: paths.configDir,
      esphome,
      rescanIntervalSec: settings.get().rescanIntervalSec,
      log,
    });
    await inventory.start();

    const bus = new EventBus();
    const trustEngine = new TrustEngine({
      db,
      dataDir: paths.dataDir,
      firmwareBytes: (sha) => (firmware.has(sha) ? firmware.read(sha) : null),
    });
    // The device's own policy (metadata block `trust_policy`) wins over the fleet's.
    const trustMode = (deviceId: string) => inventory.get(deviceId)?.trustPolicy ?? settings.get().trustPolicy;
    const trustGate = new WorkerTrustGate({ engine: trustEngine, queue, firmware, log, mode: trustMode });
    queue.annotateJobs((jobs) => trustEngine.jobVerdicts.annotate(jobs));
    // From where the last clean audit ended (cost: what was appended since); with none recorded yet
    // (first start after an upgrade), a full audit runs in the background while the sidecar serves.
    const reportAudit = (a: CheckedAudit | null) => {
      if (a && !a.ok)
        log(`content trust: CONSISTENCY CHECK FAILED (${a.problems.length} problem(s)): ${a.problems.join("; ")}`);
    };
    const audit = trustEngine.auditor.incremental();
    if (audit) reportAudit(audit);
    else void trustEngine.auditor.settled().then(() => reportAudit(trustEngine.auditor.last));
    const trustSource = new EngineTrustSource(trustEngine);
    // The archive does not delete images: a digest found there once need not be looked up again.
    const archived = new Set<string>();
    const view = new DeviceView(
      queue,
      () => settings.get().defaultEsphomeVersion,
      trustSource,
      (sha) => archived.has(sha) || (firmware.has(sha) && archived.add(sha) !== undefined),
    );
    const views = new DeviceViews(bus);
    const registry = new WorkerRegistry(db, queue, clock);
    const tokens = new WorkerTokens(db, clock);
    const builder = new FleetAssignmentBuilder(
      inventory,
      queue,
      firmware,
      view,
      () => settings.get().jobTimeoutMs,
      (job, image) => trustGate.gateArchived(job, image),
      (deviceId, sha256) => externalImage(trustEngine, firmware, deviceId, sha256),
    );
    const dispatcher = new Dispatcher(queue, registry, builder, clock, log);
    const kick = () => dispatcher.kick();
    const jobService = new JobService(queue, inventory, view, dispatcher, registry, views);
    const announcer = new DeviceAnnouncer({
      views,
      view,
      lookup: (id) => inventory.get(id),
      all: () => inventory.list(),
      trust: trustSource,
    });
    const messages = new WorkerMessages({
      queue,
      registry,
      firmware,
      bus,
      onCapacityChange: kick,
      log,
      trust: trustGate,
      onJobFinished: (job) => {
        dispatcher.jobFinished(job);
        // A flash is recorded for content trust after the job's own event: announce the device again
        // so event subscribers see its running firmware's verdict, not the one from before the flash.
        announcer.refresh(job.deviceId);
      },
    });
    const localHolder: { worker: LocalWorker | null } = { worker: null };
    const hub = new WorkerHub({
      queue,
      registry,
      tokens,
      messages,
      bus,
      clock,
      log,
      onCapacityChange: kick,
      trust: trustGate,
      leaseMs: () => settings.get().leaseMs,
      localTokenId: () => localHolder.worker?.tokenId ?? null,
    });

    queue.on("job", (job) => {
      bus.job(job);
      announcer.jobChanged(job);
      if (TERMINAL_JOB_STATES.includes(job.state) && job.workerId) {
        if (registry.session(job.workerId)) bus.worker("upsert", job.workerId, registry.view(job.workerId));
        kick();
      }
    });
    queue.on("log", (e) => bus.log(e));
    queue.on("pruned", (ids: number[]) => {
      trustEngine.jobVerdicts.forget(ids);
      ids.forEach((id) => bus.jobRemoved(id));
      announcer.jobsPruned(ids);
    });
    inventory.on("device", (d) => announcer.deviceChanged(d));
    inventory.on("remove", (id: string) => announcer.deviceRemoved(id));
    // A trust change reaches the devices whose verdicts it may alter: evaluated again in the background
    // (all of them for a revocation, and the moment the revocation list expires, when verdicts turn `stale`).
    const expiry = new RevocationExpiryTimer(trustEngine, log);
    trustEngine.onTrustChange((change) => {
      announcer.trustChanged(change);
      expiry.schedule();
    });
    expiry.schedule();
    // Every device's view, in memory from here on (trust verdicts beyond the budget follow in the background).
    announcer.start(START_TRUST_BUDGET_MS);

    const slowBytes = Number(process.env.FORGE_EVENTS_SLOW_CONSUMER_BYTES ?? "");
    const events = new EventsServer({
      adminToken,
      bus,
      queue,
      ...(slowBytes > 0 ? { slowConsumerBytes: slowBytes } : {}),
      snapshot: () => ({
        devicesJson: views.arrayJson(),
        jobs: dedupe([...queue.active(), ...queue.recent(100)]),
        workers: registry.list(),
      }),
    });

    const instanceId = loadOrCreateInstanceId(join(paths.dataDir, "instance-id"));
    const eventLoop = EventLoopMonitor.fromEnv();
    const health = (): HealthResponse => ({
      status: "ok",
      product: "Forge for ESPHome",
      version: SIDECAR_VERSION,
      apiVersion: 1,
      workerProtocolVersion: WORKER_PROTOCOL_VERSION,
      instanceId,
    });
    const ctx: ApiContext = {
      adminToken,
      queue,
      inventory,
      view,
      devices: views,
      jobs: jobService,
      registry,
      tokens,
      hub,
      firmware,
      settings,
      log,
      health,
      trust: trustEngine,
      ...(eventLoop ? { debug: { eventLoop, deviceViewsPending: () => announcer.pending } } : {}),
      publicDir: opts.publicDir === undefined ? DEFAULT_PUBLIC_DIR : opts.publicDir,
      info: () => {
        const online = registry.online();
        const depth = queue.depth();
        return {
          ...health(),
          startedAt,
          configDir: paths.configDir,
          devices: inventory.list().length,
          workersOnline: online.length,
          queueDepth: depth.queued,
          runningJobs: depth.running,
          totalSlots: online.reduce((n, s) => n + registry.slotsOf(s), 0),
          esphomeAvailable: esphome !== null,
        };
      },
    };
    let defaultVersion = settings.get().defaultEsphomeVersion;
    const onSettingsChanged = () => {
      // Every device's target version (and so whether it is outdated) follows the fleet default.
      if (settings.get().defaultEsphomeVersion !== defaultVersion) {
        defaultVersion = settings.get().defaultEsphomeVersion;
        announcer.refreshAll();
      }
      const slots = settings.get().localWorkerSlots;
      localHolder.worker?.apply(slots);
      // A running local worker takes the new slot count live, without dropping its jobs.
      for (const s of registry.sessionsForToken(localHolder.worker?.tokenId ?? "")) {
        if (slots > 0) {
          registry.setOverrides(s.id, { slots });
          s.send({ type: "configure", slots });
        }
      }
      inventory.setRescanInterval(settings.get().rescanIntervalSec);
      kick();
    };
    const onWorkerChanged = (id: string) => {
      bus.worker("upsert", id, registry.view(id));
      kick();
    };
    const app = createApp(ctx, { onWorkerChanged, onSettingsChanged });

    const server = createServer(app);
    server.on("upgrade", (req, socket, head) => {
      const path = (req.url ?? "").split("?")[0];
      if (path === `${API_PREFIX}/worker`) hub.handleUpgrade(req, socket, head);
      else if (path === `${API_PREFIX}/events`) events.handleUpgrade(req, socket, head);
      else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    const url = `http://${host}:${addr.port}`;

    // Running jobs from before a restart: the local worker died with the old process, so its jobs
    // go back to the queue now; remote workers get a lease period plus their reconnect backoff.
    for (const job of queue.running()) {
      const fence = queue.fenceOf(job.id);
      if (job.workerId && fence != null && registry.wasLocal(job.workerId)) {
        queue.release(job.id, fence, "the built-in local worker stopped with the sidecar; requeued");
      }
    }
    queue.extendAllLeases(settings.get().leaseMs + RECONNECT_GRACE_MS);
    const local = new LocalWorker({
      dataDir: paths.dataDir,
      serverUrl: url,
      tokens,
      buildCommand: opts.buildCommand ?? null,
      esphomeBin: esphome?.argv[0] ?? null,
      log,
    });
    localHolder.worker = local;
    local.apply(settings.get().localWorkerSlots);
    // The fleet's default ESPHome version: the newest release, asked once (see the module).
    if (defaultProbeEnabled(process.env, opts.buildCommand ?? null)) {
      recordDefaultEsphomeVersionInBackground({
        settings,
        log,
        python: async () => (await findPython(null)).path,
        localVersion: async () => (await esphome?.version()) ?? null,
        onRecorded: () => {
          defaultVersion = settings.get().defaultEsphomeVersion;
          announcer.refreshAll(); // their target version changed
        },
      });
    }

    const sidecar = new Sidecar(url, adminToken, server, db, { inventory, hub, events, local, expiry, eventLoop });
    if (opts.zeroconf !== false) {
      sidecar.zeroconf = ZeroconfAdvertiser.start({
        instanceId,
        apiVersion: health().apiVersion,
        version: SIDECAR_VERSION,
        listenHost: addr.address,
        port: addr.port,
        log,
      });
    }
    const sweep = () => {
      const lapsed = queue.expireLeases();
      for (const job of queue.expireTimeouts()) jobService.tellWorkerToStop(job, "job timed out");
      if (lapsed.length) kick();
    };
    sidecar.timers.push(setInterval(sweep, Math.min(1000, Math.max(100, settings.get().leaseMs / 4))));
    sidecar.timers.push(
      setInterval(() => {
        queue.pruneHistory();
        // Keeps the next start-up audit short: it goes on from here.
        if (trustEngine.auditor.last?.ok) void trustEngine.auditor.recheck().then(reportAudit);
      }, 3600_000),
    );
    // A periodic pass also lets deferred (affinity-waiting) jobs go elsewhere once waiting stops paying off.
    sidecar.timers.push(setInterval(kick, 1000));
    queue.pruneHistory();
    kick();
    return sidecar;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.zeroconf?.stop();
    this.parts.expiry.stop();
    this.parts.eventLoop?.stop();
    await this.parts.local.stop();
    this.parts.hub.close();
    this.parts.events.close();
    await this.parts.inventory.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.db.close();
  }
}

function loadOrCreateAdminToken(file: string): string {
  if (existsSync(file)) {
    const t = readFileSync(file, "utf8").trim();
    if (t.length >= 16) return t;
  }
  const token = randomBytes(32).toString("base64url");
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return token;
}

function loadOrCreateInstanceId(file: string): string {
  if (existsSync(file)) {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  }
  const id = randomBytes(16).toString("hex");
  writeFileSync(file, id + "\n");
  return id;
}

function dedupe<T extends { id: number }>(jobs: T[]): T[] {
  const seen = new Set<number>();
  return jobs.filter((j) => (seen.has(j.id) ? false : (seen.add(j.id), true)));
}
