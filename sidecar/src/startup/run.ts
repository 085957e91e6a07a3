// Start-up, last steps: restart recovery, the local worker, advertising and the timers (see server.ts).
import { findPython } from "../build-worker/esphome-versions/python.js";
import { defaultProbeEnabled, recordDefaultEsphomeVersionInBackground } from "../config/default-esphome-version.js";
import { ZeroconfAdvertiser } from "../discovery/zeroconf-advertiser.js";
import { LeaseSweep } from "../queue/lease-sweep.js";
import { recoverRunningJobs } from "../queue/restart-recovery.js";
import { SIDECAR_VERSION } from "../util/version.js";
import { LocalWorker } from "../worker-hub/local-worker.js";
import type { Served } from "./serve.js";

/** Restart recovery (the old local worker's jobs back in the queue, a grace for remote workers), then the
 * built-in local worker. */
export function startLocalWorker(s: Served) {
  const {
    opts,
    log,
    paths,
    disk,
    settings,
    queue,
    flashes,
    esphome,
    isolation,
    registry,
    tokens,
    localHolder,
    transport,
  } = s;
  recoverRunningJobs({
    queue,
    wasLocal: (workerId) => registry.wasLocal(workerId),
    reconcileFlashes: () => flashes.reconcile(),
    flashOutcome: (jobId, fence) => flashes.outcomeOf(jobId, fence),
    leaseMs: settings.get().leaseMs,
    guard: (what, fn) => disk.guard(what, fn),
  });
  const local = new LocalWorker({
    dataDir: paths.dataDir,
    isolation,
    server: transport.localWorkerServer(),
    tokens,
    buildCommand: opts.buildCommand ?? null,
    esphomeBin: esphome?.argv[0] ?? null,
    storedSlots: (tokenId) => registry.slotsOverrideForToken(tokenId),
    registry,
    log,
  });
  localHolder.worker = local;
  local.apply(settings.get().localWorkerSlots);
  return { ...s, local };
}
export type Running = ReturnType<typeof startLocalWorker>;

/** The fleet's default ESPHome version, when none is set: the newest release, asked once in the background. */
export function probeDefaultVersion(s: Running): void {
  const { opts, log, settings, esphome, followDefaultVersion } = s;
  // The fleet's default ESPHome version: the newest release, asked once (see the module).
  if (defaultProbeEnabled(process.env, opts.buildCommand ?? null)) {
    recordDefaultEsphomeVersionInBackground({
      settings,
      log,
      python: async () => (await findPython(null)).path,
      localVersion: async () => (await esphome?.version()) ?? null,
      onRecorded: followDefaultVersion, // every device's target version changed
    });
  }
}

/** Presence's mDNS browser, and the sidecar's own advertisement on the LAN (its handle, to stop it). */
export function advertise(s: Running): ZeroconfAdvertiser | null {
  const { opts, log, instanceId, presence, health, addr, tls, transport } = s;
  presence.startFor({
    setting: opts.presence ?? "auto",
    zeroconf: opts.zeroconf !== false,
    listenHost: addr.address,
  });
  if (opts.zeroconf === false) return null;
  const advertiser = ZeroconfAdvertiser.start({
    instanceId,
    apiVersion: health().apiVersion,
    version: SIDECAR_VERSION,
    listenHost: addr.address,
    port: addr.port,
    // Only a self-signed key is pinned; a user's own certificate is verified by CAs.
    fingerprint: tls.mode === "self-signed" ? tls.fingerprint : null,
    log,
  });
  if (advertiser) transport.onRotated((fp) => advertiser.rotated(fp));
  return advertiser;
}

/** The timers (returned, to clear at stop): the lease sweep (and the waits for devices), the hourly history
 * prune and audit recheck, a periodic dispatch pass, the state anchor; then a first prune, the waiting
 * flashes whose device is online, and a dispatch. */
export function startTimers(s: Running): NodeJS.Timeout[] {
  const { clock, disk, settings, queue, anchor, flashes, trustEngine, reportAudit, kick, jobService, hub, waits } = s;
  const sweep = new LeaseSweep({
    queue,
    clock,
    leaseMs: () => settings.get().leaseMs,
    disk,
    timedOut: (job) => jobService.tellWorkerToStop(job, "job timed out"),
    dropSilent: (now) => hub.dropSilent(now),
    reconcileFlashes: () => flashes.reconcile(),
    kick,
  });
  disk.on("change", (full) => {
    if (full) return;
    sweep.diskFreedAgain();
    void anchor.writeQuietly();
    waits.recheck("checked when disk space returned"); // a device back meanwhile was not released
    kick();
  });
  disk.start();
  const timers = [sweep.start()];
  timers.push(
    setInterval(() => {
      disk.guard("pruning history", () => queue.pruneHistory());
      // Keeps the next start-up audit short: it goes on from here.
      if (trustEngine.auditor.last?.ok) void trustEngine.auditor.recheck().then(reportAudit);
    }, 3600_000),
  );
  // A periodic pass also lets deferred (affinity-waiting) jobs go elsewhere once waiting stops paying off.
  timers.push(setInterval(kick, 1000));
  // The trust log grows without a job event (key enrolments): anchor its size now and then.
  timers.push(setInterval(() => void anchor.writeQuietly(), 30_000));
  disk.guard("pruning history", () => queue.pruneHistory());
  // Flashes waiting for a device from before a restart: those whose device is online go now.
  waits.start();
  kick();
  return timers;
}
