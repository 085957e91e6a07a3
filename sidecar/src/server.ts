// Composition root: opens the database, starts the inventory, wires queue ⇄ workers ⇄ API ⇄
// events, and listens. Everything else receives its collaborators from here.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
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
import { resolveAdminToken, type AdminTokenChoice, type ResolvedAdminToken } from "./config/admin-token.js";
import { FailureLimiter } from "./edge/failure-limiter.js";
import { HostPolicy } from "./edge/host-policy.js";
import { createEdgeServer } from "./edge/http-server.js";
import { hostScreen, UpgradeGate } from "./edge/upgrade-gate.js";
import { startIngressServer, type IngressOptions } from "./api/ingress-server.js";
import { resolveMetricsToken } from "./config/metrics-token.js";
import { ForgeMetrics } from "./metrics/forge-metrics.js";
import { trustStatus } from "./api/routes/trust.js";
import { EventTickets } from "./events/event-tickets.js";
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
import { JobService } from "./fleet/job-service.js";
import { FirmwareStore } from "./firmware/firmware-store.js";
import { findEsphome, Inventory, seedExamples } from "./inventory/inventory.js";
import { LocalWorker } from "./worker-hub/local-worker.js";
import { JobQueue } from "./queue/job-queue.js";
import { systemClock, type Clock } from "./util/clock.js";
import { SIDECAR_VERSION } from "./util/version.js";
import { WorkerHub } from "./worker-hub/worker-hub.js";
import { WorkerMessages } from "./worker-hub/worker-messages.js";
import { WorkerRegistry } from "./worker-hub/worker-registry.js";
import { WorkerTokens } from "./worker-hub/worker-tokens.js";
import { ZeroconfAdvertiser } from "./discovery/zeroconf-advertiser.js";
import { DeviceAnnouncer } from "./fleet/device-announcer.js";
import { EngineTrustSource } from "./fleet/engine-trust-source.js";
import { TrustEngine } from "./trust/index.js";
import { WorkerTrustGate } from "./worker-hub/worker-trust-gate.js";
import { RevocationExpiryTimer } from "./trust/revocation/expiry-timer.js";
import { externalImage } from "./fleet/external-image.js";

export interface SidecarOptions {
  dataDir: string;
  configDir?: string;
  host: string;
  port: number;
  /** From the command line or environment; null = the data folder's file (generated on first start). */
  adminToken?: AdminTokenChoice | null;
  /** Host names beyond the defaults (IP literals, unregistrable names, this machine): `*.example.com`, `*` = any. */
  allowedHosts?: string[];
  /** Browser origins beyond the sidecar's own that may open the events socket (reverse proxies). */
  allowedOrigins?: string[];
  /** Headers and body of a request must arrive within this time (default 30 s). */
  requestTimeoutMs?: number;
  /** A read-only token for GET /api/v1/metrics (Prometheus, KEDA); null = only the admin token. */
  metricsToken?: AdminTokenChoice | null;
  /** A second listener for Home Assistant's ingress proxy (the add-on); none by default. */
  ingress?: IngressOptions | null;
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

/** How long remote workers get, beyond one lease, to reconnect after a sidecar restart (their backoff caps at 30 s). */
const RECONNECT_GRACE_MS = 15_000;
const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL("../public", import.meta.url));

export class Sidecar {
  private timers: NodeJS.Timeout[] = [];
  private zeroconf: ZeroconfAdvertiser | null = null;
  private constructor(
    readonly url: string,
    readonly admin: ResolvedAdminToken,
    /** The ingress listener's URL, when there is one. */
    readonly ingressUrl: string | null,
    private readonly servers: Server[],
    private readonly db: Db,
    private readonly parts: {
      inventory: Inventory;
      hub: WorkerHub;
      events: EventsServer;
      local: LocalWorker;
      expiry: RevocationExpiryTimer;
    },
  ) {}

  static async start(opts: SidecarOptions): Promise<Sidecar> {
    const log = opts.log ?? ((m: string) => console.log(m));
    const clock = opts.clock ?? systemClock;
    const paths = dataPaths(opts.dataDir, opts.configDir);
    for (const dir of [paths.dataDir, paths.configDir, paths.firmwareDir]) mkdirSync(dir, { recursive: true });
    const admin = resolveAdminToken(opts.adminToken ?? null, paths.adminTokenFile);
    const adminToken = admin.token;
    const metricsToken = resolveMetricsToken(opts.metricsToken, adminToken);
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
    const audit = trustEngine.checkConsistency();
    if (!audit.ok)
      log(
        `content trust: CONSISTENCY CHECK FAILED (${audit.problems.length} problem(s)): ${audit.problems.join("; ")}`,
      );
    const view = new DeviceView(
      queue,
      () => settings.get().defaultEsphomeVersion,
      new EngineTrustSource(trustEngine, queue),
      (sha) => firmware.has(sha),
    );
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
    const jobService = new JobService(queue, inventory, view, dispatcher, registry);
    const announcer = new DeviceAnnouncer(
      bus,
      view,
      (id) => inventory.get(id),
      () => inventory.list(),
    );
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
    });
    inventory.on("device", (d) => announcer.deviceChanged(d));
    inventory.on("remove", (id: string) => announcer.deviceRemoved(id));
    // A revocation or key change can change any device's verdict: announce them all again.
    // …and again the moment the revocation list expires, when verdicts turn `stale`.
    const expiry = new RevocationExpiryTimer(trustEngine, log);
    trustEngine.onTrustChange(() => {
      announcer.trustChanged();
      expiry.schedule();
    });
    expiry.schedule();

    // The network edge: bad-token limiter, Host/Origin policy, events tickets (see edge/).
    const limiter = new FailureLimiter();
    const hosts = new HostPolicy({ allowedHosts: opts.allowedHosts, allowedOrigins: opts.allowedOrigins });
    const tickets = new EventTickets(() => clock.now());
    const slowBytes = envInt("FORGE_EVENTS_SLOW_CONSUMER_BYTES");
    const events = new EventsServer({
      adminToken,
      tickets,
      bus,
      queue,
      log,
      ...(slowBytes ? { slowConsumerBytes: slowBytes } : {}),
      ...(envInt("FORGE_EVENTS_MAX_PER_CLIENT") ? { maxPerClient: envInt("FORGE_EVENTS_MAX_PER_CLIENT")! } : {}),
      snapshot: () => ({
        devices: inventory.list().map((d) => view.toDevice(d)),
        jobs: dedupe([...queue.active(), ...queue.recent(100)]),
        workers: registry.list(),
      }),
    });

    const instanceId = loadOrCreateInstanceId(join(paths.dataDir, "instance-id"));
    const health = (): HealthResponse => ({
      status: "ok",
      product: "Forge for ESPHome",
      version: SIDECAR_VERSION,
      apiVersion: 1,
      workerProtocolVersion: WORKER_PROTOCOL_VERSION,
      instanceId,
    });
    const metrics = new ForgeMetrics({
      queue,
      workers: registry,
      devices: () => inventory.list().length,
      trust: () => trustStatus(trustEngine, settings.get().trustPolicy),
      version: SIDECAR_VERSION,
      instanceId,
      now: () => clock.now(),
    });
    queue.on("job", (job) => metrics.jobChanged(job));
    const ctx: ApiContext = {
      adminToken,
      metricsToken,
      metrics,
      limiter,
      hosts,
      tickets,
      queue,
      inventory,
      view,
      jobs: jobService,
      registry,
      tokens,
      hub,
      firmware,
      settings,
      log,
      health,
      trust: trustEngine,
      publicDir: opts.publicDir === undefined ? DEFAULT_PUBLIC_DIR : opts.publicDir,
      info: () => {
        const online = registry.online();
        return {
          ...health(),
          startedAt,
          configDir: paths.configDir,
          devices: inventory.list().length,
          workersOnline: online.length,
          queueDepth: queue.queued().length,
          runningJobs: queue.running().length,
          totalSlots: online.reduce((n, s) => n + registry.slotsOf(s), 0),
          esphomeAvailable: esphome !== null,
        };
      },
    };
    const onSettingsChanged = () => {
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

    const gate = new UpgradeGate({
      endpoints: { [`${API_PREFIX}/worker`]: hub, [`${API_PREFIX}/events`]: events },
      screen: hostScreen(hosts),
      limiter,
      log,
    });
    const server = createEdgeServer(app, gate, {
      requestTimeoutMs: opts.requestTimeoutMs,
      connectionsPerClient: envInt("FORGE_MAX_CONNECTIONS_PER_CLIENT"),
      log,
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const url = urlOf(server);
    const ingress = opts.ingress
      ? await startIngressServer(
          opts.ingress,
          ctx,
          { onWorkerChanged, onSettingsChanged },
          events,
          opts.requestTimeoutMs,
        )
      : null;

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
        onRecorded: () => inventory.list().forEach((d) => bus.device("upsert", d.id, view.toDevice(d))), // their target version changed
      });
    }

    const sidecar = new Sidecar(
      url,
      admin,
      ingress ? urlOf(ingress) : null,
      ingress ? [server, ingress] : [server],
      db,
      { inventory, hub, events, local, expiry },
    );
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
    sidecar.timers.push(setInterval(() => queue.pruneHistory(), 3600_000));
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
    await this.parts.local.stop();
    this.parts.hub.close();
    this.parts.events.close();
    await this.parts.inventory.stop();
    await Promise.all(
      this.servers.map((server) => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        return closed;
      }),
    );
    this.db.close();
  }
}

function urlOf(server: Server): string {
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

/** A positive integer from the environment (test and tuning knobs), else undefined. */
function envInt(name: string): number | undefined {
  const n = Number(process.env[name] ?? "");
  return Number.isInteger(n) && n > 0 ? n : undefined;
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
