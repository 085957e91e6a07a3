// Start-up: events between the parts, and the fleet operations (see server.ts).
import { TERMINAL_JOB_STATES } from "@esphome-forge/shared";
import { findPython } from "../build-worker/esphome-versions/python.js";
import { pipNewestEsphome } from "../config/default-esphome-version.js";
import { startFleetOps } from "../fleet/fleet-ops.js";
import { releaseCheckEnabled } from "../notify/release-watch.js";
import { RevocationExpiryTimer } from "../trust/revocation/expiry-timer.js";
import { START_TRUST_BUDGET_MS, envInt } from "./options.js";
import type { Workers } from "./wire-fleet.js";

/** Who hears what: queue changes reach the event bus, the device views and the state anchor; inventory,
 * presence and trust changes rebuild only the devices concerned. */
export function wireEvents(s: Workers) {
  const {
    log,
    settings,
    queue,
    anchor,
    flashes,
    inventory,
    bus,
    announceRef,
    trustEngine,
    presence,
    registry,
    kick,
    announcer,
    blockedJobs,
  } = s;
  let anchoredJobs = 0;
  queue.on("job", (job) => {
    if (job.id > anchoredJobs) {
      anchoredJobs = job.id;
      anchor.writeSoon(); // the highest job id is anchored within a few seconds
    }
    bus.job(job);
    announcer.jobChanged(job);
    blockedJobs.jobChanged(job);
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
    blockedJobs.deviceChanged(d.id);
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
  // Which keys Forge signs with shows in every signed-OTA device's view (forgeSigns, missing keys, device_enforced).
  trustEngine.otaKeys.onChange(() => announcer.refreshAll());
  trustEngine.onTrustChange((change) => {
    announcer.trustChanged(change);
    expiry.schedule();
  });
  expiry.schedule();
  let defaultVersion = settings.get().defaultEsphomeVersion;
  // Every device's target version (and so whether it is outdated) follows the fleet default.
  const followDefaultVersion = () => {
    if (settings.get().defaultEsphomeVersion === defaultVersion) return;
    defaultVersion = settings.get().defaultEsphomeVersion;
    announcer.refreshAll();
  };
  // Settings are not files in the config folder's history: a change to the routing rules is logged instead.
  let routingRules = JSON.stringify(settings.get().routingRules);
  // Turning automatic worker approval on or off changes what Forge trusts: an entry in the transparency log.
  let autoApprove = settings.get().autoApproveWorkers;
  const logRoutingRules = () => {
    const rules = JSON.stringify(settings.get().routingRules);
    if (rules !== routingRules) {
      log(`routing rules changed: ${routingRules} → ${rules}`);
      routingRules = rules;
    }
    if (settings.get().autoApproveWorkers !== autoApprove) {
      autoApprove = settings.get().autoApproveWorkers;
      trustEngine.recordTrustChange({
        change: "auto_approve",
        actor: "api:admin",
        subject: "fleet",
        detail: { to: autoApprove },
      });
    }
  };
  // Every device's view, in memory from here on (trust verdicts beyond the budget follow in the background).
  announcer.start(START_TRUST_BUDGET_MS);
  return { ...s, expiry, followDefaultVersion, logRoutingRules };
}
export type Wired = ReturnType<typeof wireEvents>;

/** Schedules, alerts, the webhook, the ESPHome release check and firmware retention (fleet/fleet-ops.ts). */
export function startOps(s: Wired) {
  const {
    opts,
    log,
    clock,
    disk,
    db,
    settings,
    queue,
    firmware,
    instanceId,
    inventory,
    bus,
    views,
    registry,
    tokens,
    jobService,
  } = s;
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
  return { ...s, ops };
}
export type WithOps = ReturnType<typeof startOps>;
