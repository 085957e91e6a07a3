// Build now, flash later, and devices that come and go, as the card words them: an armed flash
// (a job in `waiting_for_device`), a sleeping device, a staged build and whether Install can flash
// it without recompiling. Pure functions of the sidecar's Device and Job (the HA update entity
// words the same states in custom_components/esphome_forge/firmware_staging.py).
import type { Device, Job } from "@esphome-forge/shared";
import type { DevicePresence } from "../data/types.js";
import { formatClock, formatTimestamp } from "../format/relative-time.js";
import { isOutdated, onlineState } from "./device-model.js";

/** A flash step holding its approved image until the device is online again. */
export const isWaiting = (job: Job | null | undefined): boolean => job?.state === "waiting_for_device";

/**
 * "Armed · flashes when back online · until 12-12 08:00" (the expiry, when the sidecar set one);
 * "flashes when it wakes" for a device whose config has deep_sleep.
 */
export function armedText(job: Job, now: number = Date.now(), sleeps = false): string {
  const until = job.waitingUntil ? ` · until ${formatClock(job.waitingUntil, now)}` : "";
  return `Armed · flashes when ${sleeps ? "it wakes" : "back online"}${until}`;
}

/** The wait's details for a tooltip: the sidecar's reason and the exact expiry. */
export function armedTitle(job: Job): string {
  const parts = [job.blockedReason, job.waitingUntil ? `the wait ends ${formatTimestamp(job.waitingUntil)}` : null];
  return parts.filter(Boolean).join(" · ") || "Waiting for the device to come online";
}

/** Offline, and its config has deep_sleep: it is asleep, not gone. */
export function isAsleep(d: Device, presence?: DevicePresence): boolean {
  return !!d.deepSleep && onlineState(d, presence) === false;
}

export type StagedFirmware = NonNullable<Device["storedFirmware"]>;

/**
 * The staged build when it is news: not the image Forge last flashed, nor a build of the same config
 * and ESPHome. A sidecar before uploads named their image left an upload's lastFlash without digest
 * or ESPHome version: a flash of the same config after the staged build then counts as having sent it.
 */
export function stagedFirmware(d: Device): StagedFirmware | null {
  const s = d.storedFirmware;
  if (!s) return null;
  const f = d.lastFlash;
  if (!f) return s;
  if (f.firmwareSha256 && f.firmwareSha256 === s.firmwareSha256) return null;
  const sameConfig = s.configHash != null && s.configHash === f.configHash;
  if (sameConfig && (s.esphomeVersion === f.esphomeVersion || (!f.firmwareSha256 && f.jobId > s.jobId))) return null;
  return s;
}

/** "Staged: build #12, ESPHome 2026.10.0". */
export function stagedText(s: StagedFirmware): string {
  return `Staged: build #${s.jobId}, ESPHome ${s.esphomeVersion ?? "unknown"}`;
}

/** Verdicts on the staged image (`trust.pending`) the upload gate refuses. */
const UNFLASHABLE = new Set(["revoked", "invalid"]);

/** The staged image's verdict when content trust refuses to flash it, else null. */
export const stagedRefusal = (d: Device): string | null =>
  UNFLASHABLE.has(d.trust.pending.state) ? d.trust.pending.state : null;

/**
 * A staged build Install can flash as it is: built from the config and ESPHome Forge would build now,
 * and not refused by content trust.
 */
export function installableStaged(d: Device): StagedFirmware | null {
  const s = stagedFirmware(d);
  return s?.current && !stagedRefusal(d) ? s : null;
}

/**
 * The devices "Update outdated when online" arms: outdated ones in the card's scope whose config reads
 * and that have no job under way (a second install would only queue behind the first).
 */
export function outdatedToArm(
  devices: Iterable<Device>,
  inScope: (d: Device) => boolean,
  presence: ReadonlyMap<string, DevicePresence>,
  activeJob: (id: string) => Job | null,
): string[] {
  const ids: string[] = [];
  for (const d of devices)
    if (inScope(d) && !d.error && isOutdated(d, presence.get(d.id)) && !activeJob(d.id)) ids.push(d.id);
  return ids.sort();
}
