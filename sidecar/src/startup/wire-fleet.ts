// Start-up, middle steps: trust, device views and the path of a job to a worker (see server.ts).
import { BlockedJobs } from "../dispatch/blocked-jobs.js";
import { Dispatcher } from "../dispatch/dispatcher.js";
import { implausibleImage } from "../firmware/image-floor.js";
import { FleetAssignmentBuilder } from "../fleet/assignment-builder.js";
import { BuildFloor } from "../fleet/build-floor.js";
import { DeviceAnnouncer } from "../fleet/device-announcer.js";
import { DeviceView } from "../fleet/device-view.js";
import { DeviceWaits } from "../fleet/device-wait.js";
import { DeviceViews } from "../fleet/device-views.js";
import { EngineTrustSource } from "../fleet/engine-trust-source.js";
import { externalImage } from "../fleet/external-image.js";
import { JobService } from "../fleet/job-service.js";
import { otaFlash } from "../fleet/ota-flash.js";
import { routingOf } from "../fleet/job-routing.js";
import { PresenceService } from "../presence/presence-service.js";
import { TrustEngine } from "../trust/index.js";
import type { CheckedAudit } from "../trust/log/log-auditor.js";
import type { LocalWorker } from "../worker-hub/local-worker.js";
import { WorkerHub } from "../worker-hub/worker-hub.js";
import { PairingCodes } from "../worker-hub/pairing-codes.js";
import { WorkerEnrolments } from "../worker-hub/worker-enrolment.js";
import { WorkerPairing } from "../worker-hub/worker-pairing.js";
import type { SidecarTransport } from "../edge/transport.js";
import { Turns } from "../util/turns.js";
import { WorkerIdentity } from "../worker-hub/worker-identity.js";
import { WorkerMessages } from "../worker-hub/worker-messages.js";
import { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { WorkerTokens } from "../worker-hub/worker-tokens.js";
import { WorkerTrustGate } from "../worker-hub/worker-trust-gate.js";
import type { ConfigFolder } from "./open-state.js";
import { MIB } from "./options.js";

/** Content trust: the engine, the workers' trust gate and the start-up audit of the log. */
export function startTrust(s: ConfigFolder) {
  const { log, paths, db, settings, queue, firmware, flashes, useTrust, inventory } = s;
  const trustEngine = new TrustEngine({
    db,
    dataDir: paths.dataDir,
    firmwareBytes: (sha) => (firmware.has(sha) ? firmware.read(sha) : null),
  });
  useTrust(trustEngine);
  // The device's YAML comment may raise the fleet's policy; only the admin API may lower it (logged).
  const trustMode = (deviceId: string) =>
    trustEngine.policyFor(deviceId, settings.get().trustPolicy, inventory.get(deviceId)?.trustPolicy ?? null);
  // Signed OTA: the image to flash for an approval, the device side of each view (trust/ota-signing/). What a
  // device advertises (`ota_signed`) comes from presence, which the next step starts.
  const otaAdvertised = { of: (_id: string): boolean | null => null };
  const ota = otaFlash(
    trustEngine,
    firmware,
    (id) => inventory.get(id),
    (id) => otaAdvertised.of(id),
  );
  // A result's heavy steps, one loop turn each (util/turns.ts): its approval, then the check of what was
  // approved with the record. Traced under load, each took 10–40 ms; together they made one stall.
  const resultTurns = new Turns();
  const trustGate = new WorkerTrustGate({
    engine: trustEngine,
    queue,
    firmware,
    log,
    mode: trustMode,
    flashes,
    imageToFlash: (deviceId, image, o) => ota.images.imageToFlash(deviceId, image, o),
    turn: () => resultTurns.next(),
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
  return { ...s, trustEngine, trustGate, resultTurns, reportAudit, ota, otaAdvertised };
}
export type Trusted = ReturnType<typeof startTrust>;

/** Presence and the Device views, which live in memory from here on. */
export function buildDeviceViews(s: Trusted) {
  const { log, clock, disk, db, settings, queue, firmware, inventory, bus, workspace, trustEngine, ota } = s;
  // Presence: what each device says it runs and whether it is reachable (mDNS, HA's reports).
  const presence = PresenceService.forSidecar({ db, disk, clock, settings, inventory, queue, log });
  s.otaAdvertised.of = (id) => presence.tracker.describe({ id }, null).presence?.otaSigned ?? null;
  const trustSource = new EngineTrustSource(trustEngine, (id) => ota.enforcedByForge(id));
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
    (d, advertised) => ota.view(d, advertised),
  );
  const views = new DeviceViews(bus);
  return { ...s, presence, trustSource, view, views };
}
export type Viewed = ReturnType<typeof buildDeviceViews>;

/** What a job passes through on its way to a worker: registry, assignment builder, dispatcher, job service,
 * the device announcer, the worker hub. */
export function wireWorkers(s: Viewed) {
  const {
    log,
    clock,
    disk,
    db,
    settings,
    queue,
    firmware,
    flashes,
    inventory,
    bus,
    workspace,
    trustEngine,
    trustGate,
    resultTurns,
    view,
    views,
    trustSource,
  } = s;
  // Enrolment is an admin decision (worker-enrolment.ts); every decision is logged and announced.
  const enrolments = new WorkerEnrolments(db, trustEngine, clock);
  const registry = new WorkerRegistry(
    db,
    queue,
    clock,
    () => settings.get().workerMinFreeDiskMb * MIB,
    (id) => enrolments.view(id),
  );
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
    (deviceId, image, o) => s.ota.images.imageToFlash(deviceId, image, o),
  );
  const routing = routingOf(inventory, () => settings.get().routingRules);
  // eslint-disable-next-line prefer-const -- the dispatcher and the blocked jobs kick each other
  let kick: () => void;
  const blockedJobs = new BlockedJobs({
    queue,
    registry,
    device: routing.device,
    rules: () => settings.get().routingRules,
    kick: () => kick(),
  });
  const dispatcher = new Dispatcher(queue, registry, builder, clock, log, routing.requirement, blockedJobs);
  // Dispatch pauses while the disk is full: an assignment is a write, and so is what follows it.
  kick = () => {
    if (!disk.full) dispatcher.kick();
  };
  // A flash waits for its device while presence says it is away, and is queued again when it is back.
  const waits = new DeviceWaits({
    queue,
    presence: s.presence.tracker,
    device: (id) => inventory.get(id),
    guard: (what, fn) => void disk.guard(what, fn),
    kick: () => kick(),
  });
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
    turns: resultTurns,
    onJobFinished: (job) => {
      dispatcher.jobFinished(job);
      // A flash is recorded for content trust after the job's own event: announce the device again
      // so event subscribers see its running firmware's verdict, not the one from before the flash.
      announcer.refresh(job.deviceId);
    },
  });
  const localHolder: { worker: LocalWorker | null } = { worker: null };
  // The built-in worker's token is the sidecar's own: its key is approved without a person; so is any
  // key while the admin has autoApproveWorkers on (first setup).
  const autoApprove = () => (settings.get().autoApproveWorkers ? ("auto" as const) : null);
  const identity = new WorkerIdentity({
    tokens,
    tokenOf: (id) => registry.tokenOf(id),
    enrolments,
    implicitApproval: (tokenId) => (tokenId === localHolder.worker?.tokenId ? "local" : autoApprove()),
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

  /** Known once the server listens (its address); read only by handlers that run after that. */
  const held: { transport?: SidecarTransport } = {};
  enrolments.onDecision((e) => {
    if (e.type === "approved")
      log(
        `worker ${e.workerId}: key ${e.fingerprint} approved ${{ admin: "by an admin", auto: "automatically (autoApproveWorkers is on)", local: "implicitly (the built-in worker)" }[e.by]}`,
      );
    else if (e.type === "rejected") log(`worker ${e.workerId}: key ${e.fingerprint} rejected by an admin`);
    else log(`worker ${e.workerId} revoked (${e.reason}); credentials revoked: ${e.tokens.join(", ") || "none"}`);
    // Every enrolment decision changes what Forge trusts: an entry in the transparency log.
    trustEngine.recordTrustChange(
      e.type === "approved"
        ? {
            change: "worker_approved",
            actor:
              e.by === "admin"
                ? "api:admin"
                : e.by === "auto"
                  ? "sidecar (autoApproveWorkers)"
                  : "sidecar (built-in worker)",
            subject: e.workerId,
            detail: { fingerprint: e.fingerprint, kind: e.kind },
          }
        : e.type === "rejected"
          ? {
              change: "worker_rejected",
              actor: "api:admin",
              subject: e.workerId,
              detail: { fingerprint: e.fingerprint },
            }
          : {
              change: "worker_token_revoked",
              actor: "api:admin",
              subject: e.workerId,
              detail: { reason: e.reason, tokens: e.tokens },
            },
    );
    hub.enrolmentChanged(e);
    if (registry.has(e.workerId)) bus.worker("upsert", e.workerId, registry.view(e.workerId));
    kick();
  });
  const pairing = new WorkerPairing({
    codes: new PairingCodes(db, clock),
    tokens,
    enrolments,
    registry,
    autoApprove,
    address: (host) => held.transport!.pairingAddress(host),
  });

  return {
    ...s,
    registry,
    tokens,
    dispatcher,
    blockedJobs,
    kick,
    waits,
    jobService,
    announcer,
    localHolder,
    hub,
    enrolments,
    pairing,
    held,
  };
}
export type Workers = ReturnType<typeof wireWorkers>;
