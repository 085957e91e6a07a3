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
  COMPILE_ACTIONS,
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
import { tightenDataFolder, tightenDatabaseFiles, warnAboutOpenSecrets } from "./config/private-files.js";
import { SettingsStore } from "./config/settings-store.js";
import {
  defaultProbeEnabled,
  pipNewestEsphome,
  recordDefaultEsphomeVersionInBackground,
} from "./config/default-esphome-version.js";
import { findPython } from "./build-worker/esphome-versions/python.js";
import type { Db } from "./db/database.js";
import { openStateDatabase } from "./durability/database-open.js";
import { DiskState, diskReserveBytes } from "./durability/disk-state.js";
import type { StateAnchor } from "./durability/state-anchor.js";
import { openAnchoredState } from "./fleet/anchored-state.js";
import { Dispatcher } from "./dispatch/dispatcher.js";
import { EventBus } from "./events/event-bus.js";
import { EventsServer } from "./events/events-server.js";
import { FleetAssignmentBuilder } from "./fleet/assignment-builder.js";
import { DeviceView } from "./fleet/device-view.js";
import { DeviceViews } from "./fleet/device-views.js";
import { BuildFloor } from "./fleet/build-floor.js";
import { startFleetOps, type FleetOps } from "./fleet/fleet-ops.js";
import { releaseCheckEnabled } from "./notify/release-watch.js";
import { JobService } from "./fleet/job-service.js";
import { FirmwareStore } from "./firmware/firmware-store.js";
import { implausibleImage } from "./firmware/image-floor.js";
import { findEsphome, Inventory, seedExamples } from "./inventory/inventory.js";
import { LocalWorker } from "./worker-hub/local-worker.js";
import { planBuildIsolation } from "./worker-hub/build-user.js";
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
import { WorkerIdentity } from "./worker-hub/worker-identity.js";
import { RevocationExpiryTimer } from "./trust/revocation/expiry-timer.js";
import { externalImage } from "./fleet/external-image.js";
import { PresenceService } from "./presence/presence-service.js";
import type { PresenceSetting } from "./presence/presence-switch.js";
import { DeviceOps } from "./workspace/device-ops.js";
import { Workspace } from "./workspace/workspace.js";

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
  /** Who the local worker's builds run as: `auto` (default; a separate user when root), `none`, or a user name. */
  localWorkerUser?: string;
  /** The local worker's state folder (default: see worker-hub/local-worker-state.ts). */
  localWorkerStateDir?: string | null;
  /** Keep the config folder's history in git (default true). */
  configHistory?: boolean;
  /** Advertise on the LAN as `_esphome-forge._tcp` (default true; never when listening on loopback only). */
  zeroconf?: boolean;
  /** Browse mDNS for ESPHome devices: `auto` (default: with zeroconf, never on loopback only), `on`, `off`. */
  presence?: PresenceSetting;
  publicDir?: string | null;
  log?: (msg: string) => void;
  clock?: Clock;
  /** Start with a database that is blank or older than the state anchor (see durability/state-anchor.ts). */
  acceptDatabase?: boolean;
  /** Free space below which the data folder counts as full (default $FORGE_DISK_RESERVE_MB or 64 MiB). */
  diskReserveBytes?: number;
}

/** At start, trust verdicts are evaluated for this long before listening; the rest follow in the background. */
const START_TRUST_BUDGET_MS = 100;
const MIB = 1024 * 1024;
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
      disk: DiskState;
      anchor: StateAnchor;
      presence: PresenceService;
      eventLoop: EventLoopMonitor | null;
      ops: FleetOps;
      workspace: Workspace | null;
    },
  ) {}

  /** An error nobody caught (cli.ts): true when it was a full disk, now a state rather than a crash. */
  absorb(err: unknown): boolean {
    return this.parts.disk.report(err, "a background write");
  }

  static async start(opts: SidecarOptions): Promise<Sidecar> {
    const log = opts.log ?? ((m: string) => console.log(m));
    const clock = opts.clock ?? systemClock;
    const paths = dataPaths(opts.dataDir, opts.configDir);
    for (const dir of [paths.dataDir, paths.configDir, paths.firmwareDir])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    tightenDataFolder(paths, log);
    warnAboutOpenSecrets(paths, log);
    const admin = resolveAdminToken(opts.adminToken ?? null, paths.adminTokenFile);
    const adminToken = admin.token;
    const metricsToken = resolveMetricsToken(opts.metricsToken, adminToken);
    const startedAt = new Date(clock.now()).toISOString();

    const reserveBytes = opts.diskReserveBytes ?? diskReserveBytes(process.env);
    const disk = new DiskState({ dir: paths.dataDir, reserveBytes, log });
    const db = openStateDatabase(paths, { acceptDatabase: opts.acceptDatabase, log });
    tightenDatabaseFiles(paths.dbFile);
    const settings = new SettingsStore(db, opts.overrides);
    const queue = new JobQueue(db, () => settings.get(), clock);
    const firmware = new FirmwareStore(db, paths.firmwareDir, clock);
    const leftovers = firmware.removeLeftoverTemps();
    if (leftovers) log(`removed ${leftovers} unfinished temp file(s) from the firmware archive`);
    // A database older than the state anchor is refused (or, when accepted, repaired) before anything writes.
    const { anchor, flashes, useTrust } = await openAnchoredState({
      dataDir: paths.dataDir,
      db,
      queue,
      disk,
      acceptDatabase: opts.acceptDatabase ?? false,
      log,
    });
    if (opts.seed !== false) {
      const seeded = await seedExamples(paths.configDir);
      if (seeded.length) log(`seeded example devices: ${seeded.join(", ")}`);
    }
    const esphome = await findEsphome(opts.esphomeBin ?? null);
    const instanceId = loadOrCreateInstanceId(join(paths.dataDir, "instance-id"));
    // Who build code runs as: the local worker's builds and the inventory's own `esphome config`.
    const isolation = await planBuildIsolation({
      dataDir: paths.dataDir,
      instanceId,
      setting: opts.localWorkerUser ?? "auto",
      stateDir: opts.localWorkerStateDir ?? null,
      buildCommand: opts.buildCommand ?? null,
      esphomeBin: esphome?.argv[0] ?? null,
      log,
    });
    isolation.summary.forEach((line) => log(line));
    const inventory = new Inventory({
      configDir: paths.configDir,
      esphome,
      sandbox: isolation.inventory,
      rescanIntervalSec: settings.get().rescanIntervalSec,
      log,
    });
    await inventory.start();

    const bus = new EventBus();
    // The config folder's history (git): device views learn its part through `announce`, set below.
    const announceRef: { fn: (id: string) => void } = { fn: () => undefined };
    const workspace =
      opts.configHistory === false
        ? null
        : new Workspace({
            configDir: paths.configDir,
            stateDir: join(paths.dataDir, "workspace"),
            devices: {
              filesOf: (id) => inventory.filesOf(id),
              ids: () => inventory.list().map((d) => d.id),
              configHash: (id) => inventory.get(id)?.configHash ?? null,
              lastCompile: (id) => queue.lastSucceeded(id, COMPILE_ACTIONS),
              lastValidation: (id) =>
                queue.list({ device: [id], action: ["validate"], state: [...TERMINAL_JOB_STATES], limit: 1 }).jobs[0],
            },
            deviceChanged: (id) => announceRef.fn(id),
            statusChanged: (status) => bus.workspace(status),
            log,
            settleMs: envInt("FORGE_EXTERNAL_SETTLE_MS"),
            remoteRetryMs: envInt("FORGE_REMOTE_RETRY_MS"),
          });
    if (workspace) {
      await workspace.start();
      inventory.on("paths", (p: string[]) => workspace.pathsChanged(p));
      inventory.on("rescanned", () => workspace.rescanned());
      inventory.on("remove", (id: string) => workspace.devices.forget(id));
      queue.on("job", (job) => workspace.devices.jobChanged(job));
    }
    const trustEngine = new TrustEngine({
      db,
      dataDir: paths.dataDir,
      firmwareBytes: (sha) => (firmware.has(sha) ? firmware.read(sha) : null),
    });
    useTrust(trustEngine);
    // The device's own policy (metadata block `trust_policy`) wins over the fleet's.
    const trustMode = (deviceId: string) => inventory.get(deviceId)?.trustPolicy ?? settings.get().trustPolicy;
    const trustGate = new WorkerTrustGate({
      engine: trustEngine,
      queue,
      firmware,
      log,
      mode: trustMode,
      flashes,
    });
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
    // Presence: what each device says it runs and whether it is reachable (mDNS, HA's reports).
    const presence = PresenceService.forSidecar({ db, disk, clock, settings, inventory, queue, log });
    const trustSource = new EngineTrustSource(trustEngine);
    // The archive does not delete images: a digest found there once need not be looked up again.
    const archived = new Set<string>();
    const view = new DeviceView(
      queue,
      () => settings.get().defaultEsphomeVersion,
      trustSource,
      (sha) => archived.has(sha) || (firmware.has(sha) && archived.add(sha) !== undefined),
      presence.tracker,
      // The config history's part of each view (newest commit, built from, changes since; last validation), from memory.
      workspace
        ? (d) => ({
            configHistory: workspace.devices.historyOf(d.id),
            validation: workspace.devices.validationOf(d.id, d.configHash),
          })
        : undefined,
    );
    const views = new DeviceViews(bus);
    const registry = new WorkerRegistry(db, queue, clock, () => settings.get().workerMinFreeDiskMb * MIB);
    const tokens = new WorkerTokens(db, clock);
    const builder = new FleetAssignmentBuilder(
      inventory,
      queue,
      firmware,
      view,
      () => settings.get().jobTimeoutMs,
      (job, image) => trustGate.gateArchived(job, image),
      (deviceId, sha256) => externalImage(trustEngine, firmware, deviceId, sha256),
      (job, fence, sha256) => flashes.intent(job, fence, sha256, job.workerId ?? "unknown"),
      workspace ? (deviceId) => workspace.commitForBuild(deviceId) : undefined,
    );
    const dispatcher = new Dispatcher(queue, registry, builder, clock, log);
    // Dispatch pauses while the disk is full: an assignment is a write, and so is what follows it.
    const kick = () => {
      if (!disk.full) dispatcher.kick();
    };
    const floor = new BuildFloor({
      freeBytes: () => disk.freeBytes(),
      floorMb: () => settings.get().buildMinFreeDiskMb,
    });
    const jobService = new JobService(queue, inventory, view, dispatcher, registry, views, floor);
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
      disk,
      implausible: (deviceId, image) => implausibleImage(image, inventory.get(deviceId)?.platform ?? null),
      onJobFinished: (job) => {
        dispatcher.jobFinished(job);
        // A flash is recorded for content trust after the job's own event: announce the device again
        // so event subscribers see its running firmware's verdict, not the one from before the flash.
        announcer.refresh(job.deviceId);
      },
    });
    const localHolder: { worker: LocalWorker | null } = { worker: null };
    const identity = new WorkerIdentity({
      tokens,
      tokenOf: (id) => registry.tokenOf(id),
      enrolledKey: (id) => trustGate.enrolledKey(id),
      enrol: (id, pem) => trustGate.enrol(id, pem),
    });
    const hub = new WorkerHub({
      queue,
      registry,
      tokens,
      messages,
      bus,
      clock,
      log,
      onCapacityChange: kick,
      identity,
      trust: trustGate,
      disk,
      leaseMs: () => settings.get().leaseMs,
      localTokenId: () => localHolder.worker?.tokenId ?? null,
    });

    let anchoredJobs = 0;
    queue.on("job", (job) => {
      if (job.id > anchoredJobs) {
        anchoredJobs = job.id;
        anchor.writeSoon(); // the highest job id is anchored within a few seconds
      }
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
      flashes.forget(ids);
      ids.forEach((id) => bus.jobRemoved(id));
      announcer.jobsPruned(ids);
    });
    // The workspace's commits and validations rebuild only the device concerned.
    announceRef.fn = (id) => announcer.refresh(id);
    inventory.on("device", (d) => {
      presence.inventoryChanged();
      announcer.deviceChanged(d);
    });
    inventory.on("remove", (id: string) => {
      presence.tracker.deviceRemoved(id);
      announcer.deviceRemoved(id);
    });
    // Presence changes rebuild only the device concerned (announced only when its view changed).
    presence.tracker.on("change", (id) => announcer.refresh(id));
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

    // Schedules, alerts, the webhook, the ESPHome release check and firmware retention (fleet/fleet-ops.ts).
    const ops = startFleetOps({
      db,
      clock,
      log,
      instanceId,
      settings,
      queue,
      inventory,
      jobs: jobService,
      registry,
      tokens,
      firmware,
      bus,
      disk,
      newestEsphome: async () => pipNewestEsphome((await findPython(null)).path),
      releaseCheck: releaseCheckEnabled(process.env, opts.buildCommand ?? null),
      unreferencedGraceMs: envInt("FORGE_FIRMWARE_GC_GRACE_MS"),
      devices: () => views.list(),
    });

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
        devicesJson: views.arrayJson(),
        jobs: dedupe([...queue.active(), ...queue.recent(100)]),
        workers: registry.list(),
        ...ops.snapshot(),
        ...(workspace ? { workspace: workspace.status() } : {}),
      }),
    });

    const eventLoop = EventLoopMonitor.fromEnv();
    const health = (): HealthResponse => ({
      status: "ok",
      product: "Forge for ESPHome",
      version: SIDECAR_VERSION,
      apiVersion: 1,
      workerProtocolVersion: WORKER_PROTOCOL_VERSION,
      instanceId,
      problems: [disk.problem()].filter((p) => p !== null),
    });
    const metrics = new ForgeMetrics({
      queue,
      workers: registry,
      devices: () => inventory.list().length,
      trust: () => trustStatus(trustEngine, settings.get().trustPolicy),
      version: SIDECAR_VERSION,
      instanceId,
      diskFull: () => disk.full,
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
      disk,
      presence: presence.tracker,
      ...(eventLoop ? { debug: { eventLoop, deviceViewsPending: () => announcer.pending } } : {}),
      schedules: ops.scheduler,
      notifications: ops.notifications,
      ...(workspace
        ? {
            workspace: {
              ws: workspace,
              ops: new DeviceOps(workspace, inventory, async (ids, source) =>
                ids.length === 0
                  ? []
                  : (
                      await jobService.create({
                        action: "validate",
                        targets: { devices: ids },
                        priority: "interactive",
                        params: {},
                        source,
                      })
                    ).jobs.map((j) => ({ deviceId: j.deviceId, jobId: j.jobId })),
              ),
            },
          }
        : {}),
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
          diskFreeBytes: disk.freeBytes(),
          esphomeRelease: ops.notifications.release.current(),
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
      ops.settingsChanged();
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
    // A full disk at start is a state like any other: these writes wait for space (see disk.on below).
    disk.guard("requeueing the local worker's jobs", () => {
      for (const job of queue.running()) {
        const fence = queue.fenceOf(job.id);
        if (job.workerId && fence != null && registry.wasLocal(job.workerId)) {
          const holder = { workerId: job.workerId, fence };
          queue.release(job.id, holder, "the built-in local worker stopped with the sidecar", false);
        }
      }
      flashes.reconcile(); // a flash whose assignment ended with the old process is now interrupted
    });
    disk.guard("extending leases", () => queue.extendAllLeases(settings.get().leaseMs + RECONNECT_GRACE_MS));
    const local = new LocalWorker({
      dataDir: paths.dataDir,
      isolation,
      serverUrl: url,
      tokens,
      buildCommand: opts.buildCommand ?? null,
      esphomeBin: esphome?.argv[0] ?? null,
      storedSlots: (tokenId) => registry.slotsOverrideForToken(tokenId),
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

    const parts = { inventory, hub, events, local, expiry, disk, anchor, presence, eventLoop, ops, workspace };
    const servers = ingress ? [server, ingress] : [server];
    const sidecar = new Sidecar(url, admin, ingress ? urlOf(ingress) : null, servers, db, parts);
    presence.startFor({
      setting: opts.presence ?? "auto",
      zeroconf: opts.zeroconf !== false,
      listenHost: addr.address,
    });
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
    // While the disk is full, leases neither lapse nor time out and silent workers are not dropped:
    // renewals could not be written, and nobody should lose a job to the sidecar's own trouble. When
    // space returns, every running job gets one more lease period to be renewed, and dispatch resumes.
    const sweepMs = Math.min(1000, Math.max(100, settings.get().leaseMs / 4));
    let lastSweep = clock.now();
    const sweep = () => {
      const now = clock.now();
      const late = now - lastSweep - sweepMs;
      lastSweep = now;
      if (disk.full) return;
      disk.guard("the lease sweep", () => {
        for (const job of queue.expireTimeouts()) jobService.tellWorkerToStop(job, "job timed out");
        // After a stall of the sidecar's own event loop, this timer runs before the heartbeats that waited
        // in the sockets meanwhile are read: judge silence and leases at the next sweep, not now.
        const judge = late <= settings.get().leaseMs / 2;
        if (judge) hub.dropSilent(now);
        const lapsed = judge ? queue.expireLeases() : [];
        flashes.reconcile(); // a flash whose assignment just ended without an outcome is now interrupted
        if (lapsed.length) kick();
      });
    };
    disk.on("change", (full) => {
      if (full) return;
      disk.guard("extending leases", () => queue.extendAllLeases(settings.get().leaseMs));
      void anchor.writeQuietly();
      kick();
    });
    disk.start();
    sidecar.timers.push(setInterval(sweep, sweepMs));
    sidecar.timers.push(
      setInterval(() => {
        disk.guard("pruning history", () => queue.pruneHistory());
        // Keeps the next start-up audit short: it goes on from here.
        if (trustEngine.auditor.last?.ok) void trustEngine.auditor.recheck().then(reportAudit);
      }, 3600_000),
    );
    // A periodic pass also lets deferred (affinity-waiting) jobs go elsewhere once waiting stops paying off.
    sidecar.timers.push(setInterval(kick, 1000));
    // The trust log grows without a job event (key enrolments): anchor its size now and then.
    sidecar.timers.push(setInterval(() => void anchor.writeQuietly(), 30_000));
    disk.guard("pruning history", () => queue.pruneHistory());
    kick();
    return sidecar;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.parts.ops.stop();
    await this.zeroconf?.stop();
    await this.parts.presence.stop();
    this.parts.expiry.stop();
    this.parts.eventLoop?.stop();
    await this.parts.local.stop();
    this.parts.hub.close();
    this.parts.events.close();
    await this.parts.workspace?.stop();
    await this.parts.inventory.stop();
    await Promise.all(
      this.servers.map((server) => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        return closed;
      }),
    );
    this.parts.disk.stop();
    await this.parts.anchor.stop();
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
  writeFileSync(file, id + "\n", { mode: 0o600 });
  return id;
}

function dedupe<T extends { id: number }>(jobs: T[]): T[] {
  const seen = new Set<number>();
  return jobs.filter((j) => (seen.has(j.id) ? false : (seen.add(j.id), true)));
}
