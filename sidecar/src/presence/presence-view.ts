// A device's presence fields (Device.online, lastSeen, presence, running) from what each source
// last said, with the precedence between them:
// - online: either source says so (mdns: heard within the silence and no goodbye; ha: HA's ESPHome
//   integration is connected and its report is fresh). The deciding source is mdns when both do.
// - lastSeen: the latest of the two.
// - running: mdns while it hears the device (first-hand, and it carries the config hash), else ha
//   while connected, else whichever reported last (the last known firmware of an offline device).
// - the device's own facts (addresses, platform, board, …) come from mdns; ha knows only versions and MAC.
import type { Device, DevicePresence, Job, PresenceSource, RunningFirmware } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { SourceReport } from "./presence-store.js";
import { compareRunning, type Baseline, type FlashRef } from "./running-match.js";

export type PresenceFields = Pick<Device, "online" | "lastSeen" | "presence" | "running">;
export const NO_PRESENCE_FIELDS: PresenceFields = { online: null, lastSeen: null, presence: null, running: null };

export interface PresenceState {
  reports: Partial<Record<PresenceSource, SourceReport>>;
  baseline: Baseline | null;
  /** Combined online (null: no source ever reported) and when it last changed. */
  online: boolean | null;
  since: number | null;
  /** The times the view shows: refreshed with every other change, else every LAST_SEEN_REFRESH_MS. */
  shown: { lastSeen: number | null; reportedAt: number | null };
}

/** While nothing else changes, an online device's `lastSeen` is re-announced this often. */
export const LAST_SEEN_REFRESH_MS = 5 * 60_000;

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

export function combinedOnline(reports: PresenceState["reports"]): {
  online: boolean | null;
  source: PresenceSource | null;
} {
  const { mdns, ha } = reports;
  if (!mdns && !ha) return { online: null, source: null };
  if (mdns?.online) return { online: true, source: "mdns" };
  if (ha?.online) return { online: true, source: "ha" };
  const source = !ha || (mdns && (mdns.lastSeen ?? 0) >= (ha.lastSeen ?? 0)) ? "mdns" : "ha";
  return { online: false, source };
}

export function runningSource(reports: PresenceState["reports"]): PresenceSource | null {
  const { mdns, ha } = reports;
  const has = (r: SourceReport | undefined): r is SourceReport => !!r?.facts.esphomeVersion;
  if (has(mdns) && mdns.online) return "mdns";
  if (has(ha) && ha.online) return "ha";
  if (has(mdns) && (!has(ha) || mdns.reportedAt >= ha.reportedAt)) return "mdns";
  return has(ha) ? "ha" : null;
}

/**
 * When the source last observed the running firmware. A TXT record from the device is a live
 * observation (`reportedAt`); HA's report repeats what HA last learned, so it counts from HA's
 * (re)connection or the facts' change.
 */
export function observedAt(source: PresenceSource, r: SourceReport): number {
  if (source === "mdns") return r.reportedAt;
  return Math.max(r.factsAt, r.online ? r.since : 0);
}

/** The project version Forge flashed: the config's, when the flashed config is the current one. */
export function flashRefOf(
  job: Pick<Job, "id" | "finishedAt" | "esphomeVersion" | "configHash"> | undefined,
  d: Pick<InventoryDevice, "configHash" | "project">,
): FlashRef | null {
  if (!job) return null;
  const version = d.project?.version ?? null;
  const sameConfig = job.configHash != null && job.configHash === d.configHash;
  return {
    jobId: job.id,
    finishedAt: job.finishedAt ? Date.parse(job.finishedAt) : null,
    esphomeVersion: job.esphomeVersion,
    projectVersion: sameConfig && version && !version.includes("$") ? version : null,
  };
}

export function presenceFields(state: PresenceState, flash: FlashRef | null, exact = false): PresenceFields {
  const { reports } = state;
  const { online, source } = combinedOnline(reports);
  if (source == null) return NO_PRESENCE_FIELDS;
  const seen = Math.max(reports.mdns?.lastSeen ?? -1, reports.ha?.lastSeen ?? -1);
  const lastSeen = exact ? (seen < 0 ? null : seen) : state.shown.lastSeen;
  const facts = (reports.mdns ?? reports.ha)!;
  const presence: DevicePresence = {
    source,
    since: iso(state.since),
    addresses: reports.mdns?.addresses ?? [],
    hostname: reports.mdns?.hostname ?? null,
    mac: reports.mdns?.facts.mac ?? reports.ha?.facts.mac ?? null,
    platform: facts.facts.platform,
    board: facts.facts.board,
    network: facts.facts.network,
    friendlyName: facts.facts.friendlyName,
    apiEncryption: facts.facts.apiEncryption,
    otaSigned: facts.facts.otaSigned,
  };
  return { online, lastSeen: iso(lastSeen), presence, running: running(state, flash, exact) };
}

function running(state: PresenceState, flash: FlashRef | null, exact: boolean): RunningFirmware | null {
  const source = runningSource(state.reports);
  if (!source) return null;
  const r = state.reports[source]!;
  const f = r.facts;
  const { match, note } = compareRunning(
    {
      esphomeVersion: f.esphomeVersion,
      projectVersion: f.projectVersion,
      configHash: source === "mdns" ? f.configHash : null,
      lastReportAt: observedAt(source, r),
    },
    flash,
    state.baseline,
  );
  return {
    esphomeVersion: f.esphomeVersion,
    projectName: f.projectName,
    projectVersion: f.projectVersion,
    configHash: source === "mdns" ? f.configHash : null,
    source,
    reportedAt: iso(exact ? r.reportedAt : Math.min(r.reportedAt, state.shown.reportedAt ?? r.reportedAt))!,
    match,
    note,
  };
}
