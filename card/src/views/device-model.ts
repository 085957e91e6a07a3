// Pure helpers behind the devices view: which job belongs to which row, a row's status, and the
// filter and sort the toolbar offers.
import type { Device, Job } from "@esphome-forge/shared";
import { isActiveJob } from "../data/reducer.js";
import { naturalCompare } from "../format/natural-compare.js";
import type { DevicePresence } from "../data/types.js";
import { isUntrusted } from "./trust.js";

export interface DeviceJobs {
  /** The running job, else the newest queued, blocked or waiting one. */
  active: Job | null;
  /** The most recently finished job. */
  last: Job | null;
}

const newer = (a: Job, b: Job) =>
  (a.finishedAt ?? a.updatedAt) > (b.finishedAt ?? b.updatedAt) ||
  ((a.finishedAt ?? a.updatedAt) === (b.finishedAt ?? b.updatedAt) && a.id > b.id);

export function indexJobsByDevice(jobs: ReadonlyMap<number, Job>): Map<string, DeviceJobs> {
  const out = new Map<string, DeviceJobs>();
  for (const job of jobs.values()) {
    let entry = out.get(job.deviceId);
    if (!entry) out.set(job.deviceId, (entry = { active: null, last: null }));
    if (isActiveJob(job)) {
      const cur = entry.active;
      if (!cur || (job.state === "running" && cur.state !== "running") || (job.state === cur.state && job.id > cur.id))
        entry.active = job;
    } else if (!entry.last || newer(job, entry.last)) entry.last = job;
  }
  return out;
}

export type RowStatus = "running" | "queued" | "armed" | "failed" | "outdated" | "ok" | "never" | "error";

export function rowStatus(d: Device, jobs: DeviceJobs | undefined): RowStatus {
  if (d.error) return "error";
  if (jobs?.active) {
    const state = jobs.active.state;
    return state === "running" ? "running" : state === "waiting_for_device" ? "armed" : "queued";
  }
  const lastState = jobs?.last?.state ?? d.lastBuild?.state;
  if (lastState === "failed" || lastState === "timed_out") return "failed";
  if (d.outdated) return d.lastBuild ? "outdated" : "never";
  return "ok";
}

const STATUS_ORDER: Record<RowStatus, number> = {
  error: 0,
  running: 1,
  queued: 2,
  armed: 3,
  failed: 4,
  outdated: 5,
  never: 6,
  ok: 7,
};

export type StateFilter = "all" | "outdated" | "failed" | "untrusted" | "building";
export const STATE_FILTERS: readonly StateFilter[] = ["all", "outdated", "failed", "untrusted", "building"];
export type SortKey = "name" | "status" | "last_build";

export interface DeviceQuery {
  text: string;
  /** A device must carry every one of these tags. */
  tags: readonly string[];
  state: StateFilter;
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_QUERY: DeviceQuery = { text: "", tags: [], state: "all", sort: "name", descending: false };

export const displayName = (d: Device) => d.friendlyName || d.name || d.id;

/** The ESPHome version Forge would build with: the device's pin, else the last build's. */
export const wouldBuildVersion = (d: Device): string | null => d.targetVersion ?? d.pinnedVersion ?? null;

/**
 * The firmware an Upload (no recompile) would flash, or null when there is none: the sidecar's
 * `storedFirmware` (the last successful compile's image still in the archive), so a failed or blocked
 * upload since does not hide it. Sidecars that predate the field: the last build's firmware.
 */
export function uploadableFirmware(d: Device): string | null {
  if (d.storedFirmware !== undefined) return d.storedFirmware?.firmwareSha256 ?? null;
  return d.lastBuild?.firmwareSha256 ?? null;
}

/**
 * What the device runs: as the sidecar hears it (mDNS, or HA's reports), else as Home Assistant's
 * ESPHome integration reports it here, else what Forge last flashed successfully.
 */
export function runningVersion(d: Device, presence?: DevicePresence): string | null {
  if (d.running?.esphomeVersion) return d.running.esphomeVersion;
  if (presence?.runningVersion) return presence.runningVersion;
  return d.lastFlash?.esphomeVersion ?? null;
}

/** Online: the sidecar's presence when it has heard of the device, else Home Assistant's view here. */
export function onlineState(d: Device, presence?: DevicePresence): boolean | null {
  return d.online ?? presence?.online ?? null;
}

/** The device runs firmware other than what Forge flashed (another tool installed it). */
export const changedOutsideForge = (d: Device): boolean => d.running?.match === "changed_outside_forge";

/** Outdated: the config changed since the last build, or the device runs another version than Forge would build. */
export function isOutdated(d: Device, presence?: DevicePresence): boolean {
  if (d.outdated || changedOutsideForge(d)) return true;
  const want = wouldBuildVersion(d);
  const running = runningVersion(d, presence);
  return !!(running && want && running !== want);
}

function matchesText(d: Device, text: string): boolean {
  if (!text) return true;
  const hay = [d.id, d.name, d.friendlyName, d.platform, d.board, d.address, ...d.tags]
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

export function matchesQuery(
  d: Device,
  jobs: DeviceJobs | undefined,
  q: DeviceQuery,
  presence?: DevicePresence,
): boolean {
  if (!matchesText(d, q.text.trim())) return false;
  if (q.tags.length && !q.tags.every((t) => d.tags.includes(t))) return false;
  switch (q.state) {
    case "all":
      return true;
    case "outdated":
      return isOutdated(d, presence);
    case "failed":
      return rowStatus(d, jobs) === "failed" || rowStatus(d, jobs) === "error";
    case "untrusted":
      return isUntrusted(d);
    case "building":
      return !!jobs?.active;
  }
}

/** Devices carrying at least one of `tags` (the card's configured device filter); all when empty. */
export function inScope(d: Device, tags: readonly string[]): boolean {
  return tags.length === 0 || tags.some((t) => d.tags.includes(t));
}

/** Which parts of the state a query's result depends on (so the view re-sorts only when needed). */
export function queryUses(q: DeviceQuery): { jobs: boolean; presence: boolean } {
  return {
    jobs: q.sort === "status" || q.state === "failed" || q.state === "building",
    presence: q.state === "outdated",
  };
}

export function sortDevices(list: Device[], q: DeviceQuery, jobs: ReadonlyMap<string, DeviceJobs>): Device[] {
  const dir = q.descending ? -1 : 1;
  const byName = (a: Device, b: Device) =>
    naturalCompare(displayName(a), displayName(b)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let cmp: (a: Device, b: Device) => number;
  if (q.sort === "status") {
    cmp = (a, b) =>
      (STATUS_ORDER[rowStatus(a, jobs.get(a.id))] - STATUS_ORDER[rowStatus(b, jobs.get(b.id))]) * dir || byName(a, b);
  } else if (q.sort === "last_build") {
    const when = (d: Device) => d.lastBuild?.finishedAt ?? "";
    cmp = (a, b) => (when(a) < when(b) ? -1 : when(a) > when(b) ? 1 : 0) * dir || byName(a, b);
  } else cmp = (a, b) => byName(a, b) * dir;
  return list.sort(cmp);
}

/** Every tag in the fleet, sorted, for the tag filter. */
export function allTags(devices: Iterable<Device>): string[] {
  const s = new Set<string>();
  for (const d of devices) for (const t of d.tags) s.add(t);
  return [...s].sort();
}
