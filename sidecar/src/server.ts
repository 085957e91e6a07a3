// Composition root: `Sidecar.start` runs the start-up steps in order (startup/: open the state, the
// config folder, trust, device views, workers, events, fleet operations, the network side, the local
// worker, timers); each step receives what the earlier ones made. `stop` closes it all in reverse.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ResolvedAdminToken } from "./config/admin-token.js";
import type { Db } from "./db/database.js";
import type { ZeroconfAdvertiser } from "./discovery/zeroconf-advertiser.js";
import type { DiskState } from "./durability/disk-state.js";
import type { EdgeServer } from "./edge/http-server.js";
import type { SidecarTransport } from "./edge/transport.js";
import type { Checkpointer } from "./db/checkpointer.js";
import type { StateAnchor } from "./durability/state-anchor.js";
import type { EventsServer } from "./events/events-server.js";
import type { FleetOps } from "./fleet/fleet-ops.js";
import type { Inventory } from "./inventory/inventory.js";
import type { DbReadStore } from "./inventory/read-store.js";
import type { PresenceService } from "./presence/presence-service.js";
import { openState, startConfigFolder } from "./startup/open-state.js";
import type { SidecarOptions } from "./startup/options.js";
import { advertise, probeDefaultVersion, startLocalWorker, startTimers } from "./startup/run.js";
import { serve } from "./startup/serve.js";
import { startOps, wireEvents } from "./startup/wire-events.js";
import { buildDeviceViews, startTrust, wireWorkers } from "./startup/wire-fleet.js";
import type { RevocationExpiryTimer } from "./trust/revocation/expiry-timer.js";
import type { EventLoopMonitor } from "./util/event-loop-monitor.js";
import type { LocalWorker } from "./worker-hub/local-worker.js";
import type { WorkerHub } from "./worker-hub/worker-hub.js";
import type { Workspace } from "./workspace/workspace.js";

export type { SidecarOptions } from "./startup/options.js";

export class Sidecar {
  private timers: NodeJS.Timeout[] = [];
  private zeroconf: ZeroconfAdvertiser | null = null;
  private constructor(
    readonly url: string,
    readonly admin: ResolvedAdminToken,
    /** TLS key fingerprint, certificate mode, the built-in worker's address. */
    readonly transport: SidecarTransport,
    /** The ingress listener's URL, when there is one (the add-on). */
    readonly ingressUrl: string | null,
    private readonly server: EdgeServer,
    private readonly ingress: Server | null,
    private readonly db: Db,
    private readonly parts: {
      inventory: Inventory;
      reads: DbReadStore;
      hub: WorkerHub;
      events: EventsServer;
      local: LocalWorker;
      expiry: RevocationExpiryTimer;
      disk: DiskState;
      anchor: StateAnchor;
      checkpointer: Checkpointer;
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

  /** Starts the sidecar: each step opens or wires one part of it, in this order (startup/). */
  static async start(opts: SidecarOptions): Promise<Sidecar> {
    const state = await openState(opts);
    const config = await startConfigFolder(state);
    const trusted = startTrust(config);
    const viewed = buildDeviceViews(trusted);
    const workers = wireWorkers(viewed);
    const wired = wireEvents(workers);
    const withOps = startOps(wired);
    const served = await serve(withOps);
    const s = startLocalWorker(served);
    probeDefaultVersion(s);
    const parts = {
      inventory: s.inventory,
      reads: s.reads,
      hub: s.hub,
      events: s.events,
      local: s.local,
      expiry: s.expiry,
      disk: s.disk,
      anchor: s.anchor,
      checkpointer: s.checkpointer,
      presence: s.presence,
      eventLoop: s.eventLoop,
      ops: s.ops,
      workspace: s.workspace,
    };
    const sidecar = new Sidecar(
      s.url,
      s.admin,
      s.transport,
      s.ingress ? plainUrl(s.ingress) : null,
      s.server,
      s.ingress,
      s.db,
      parts,
    );
    sidecar.zeroconf = advertise(s);
    sidecar.timers.push(...startTimers(s));
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
    this.parts.reads.flush();
    const ingressClosed = new Promise<void>((resolve) =>
      this.ingress ? this.ingress.close(() => resolve()) : resolve(),
    );
    this.ingress?.closeAllConnections();
    await Promise.all([this.server.close(), ingressClosed]);
    this.parts.disk.stop();
    await this.parts.anchor.stop();
    await this.parts.checkpointer.stop();
    this.db.close();
  }
}

function plainUrl(server: Server): string {
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}
