// Start-up: the sidecar's network side — edge, events socket, REST API — and listening (see server.ts).
import { API_PREFIX, type HealthResponse, WORKER_PROTOCOL_VERSION } from "@esphome-forge/shared";
import { createApp } from "../api/app.js";
import { startIngressServer } from "../api/ingress-server.js";
import { trustStatus } from "../api/routes/trust.js";
import type { ApiContext } from "../api/context.js";
import { FailureLimiter } from "../edge/failure-limiter.js";
import { HostPolicy } from "../edge/host-policy.js";
import { EdgeServer } from "../edge/http-server.js";
import { loadTlsMaterial } from "../edge/tls-material.js";
import { SidecarTransport } from "../edge/transport.js";
import { hostScreen, UpgradeGate } from "../edge/upgrade-gate.js";
import { EventTickets } from "../events/event-tickets.js";
import { EventsServer } from "../events/events-server.js";
import { ForgeMetrics } from "../metrics/forge-metrics.js";
import { EventLoopMonitor } from "../util/event-loop-monitor.js";
import { SIDECAR_VERSION } from "../util/version.js";
import { DeviceOps } from "../workspace/device-ops.js";
import { DEFAULT_PUBLIC_DIR, envInt } from "./options.js";
import type { WithOps } from "./wire-events.js";

/** The network edge, the events socket and the REST API; listens. */
export async function serve(s: WithOps) {
  const {
    opts,
    log,
    clock,
    paths,
    adminToken,
    metricsToken,
    startedAt,
    disk,
    settings,
    queue,
    firmware,
    esphome,
    instanceId,
    inventory,
    bus,
    workspace,
    trustEngine,
    presence,
    view,
    views,
    registry,
    tokens,
    kick,
    jobService,
    announcer,
    localHolder,
    hub,
    enrolments,
    pairing,
    held,
    followDefaultVersion,
    logRoutingRules,
    ops,
  } = s;
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
    problems: [disk.problem(), held.transport?.problem() ?? null].filter((p) => p !== null),
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
    enrolments,
    pairing,
    get transport() {
      return held.transport!;
    },
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
  const onSettingsChanged = () => {
    followDefaultVersion();
    logRoutingRules();
    localHolder.worker?.apply(settings.get().localWorkerSlots);
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
  // TLS for everyone, plain HTTP only from this machine unless --insecure-transport (edge/http-server.ts).
  const insecureTransport = opts.insecureTransport ?? false;
  const tls = loadTlsMaterial({ keysDir: trustEngine.keysDir, certFile: opts.tlsCertFile, keyFile: opts.tlsKeyFile });
  const server = new EdgeServer(app, gate, {
    requestTimeoutMs: opts.requestTimeoutMs,
    connectionsPerClient: envInt("FORGE_MAX_CONNECTIONS_PER_CLIENT"),
    tls,
    insecureTransport,
    log,
  });
  const addr = await server.listen(opts.port, opts.host);
  const transport = new SidecarTransport(server, addr, { insecureTransport, keysDir: trustEngine.keysDir, log });
  held.transport = transport;
  const url = transport.url();
  log(
    `TLS: ${tls.mode === "self-signed" ? "self-signed key" : "your certificate"}, key fingerprint sha256 ${tls.fingerprint}`,
  );
  if (transport.problem()) log(`WARNING: ${transport.problem()!.message}`);
  // The add-on's second listener, for Home Assistant's ingress proxy only (api/ingress-server.ts).
  const ingress = opts.ingress
    ? await startIngressServer(opts.ingress, ctx, { onWorkerChanged, onSettingsChanged }, events, opts.requestTimeoutMs)
    : null;
  return { ...s, events, eventLoop, health, server, addr, url, transport, tls, ingress };
}
export type Served = Awaited<ReturnType<typeof serve>>;

function dedupe<T extends { id: number }>(jobs: T[]): T[] {
  const seen = new Set<number>();
  return jobs.filter((j) => (seen.has(j.id) ? false : (seen.add(j.id), true)));
}
