// What one schedule run does: resolve its target to devices (only the outdated ones when asked) and
// queue its action for them with priority `scheduled` and source `schedule`, through the same job
// service as every other request (coalescing, the build floor, config errors).
import type { JobTargets, Schedule, ScheduleTarget } from "@esphome-forge/shared";
import type { RunResult } from "../schedules/scheduler.js";
import { DiskLowError } from "../util/errors.js";
import type { JobService } from "./job-service.js";

export function targetsOf(target: ScheduleTarget): JobTargets {
  if (target.kind === "device") return { devices: [target.deviceId] };
  if (target.kind === "tag") return { tags: [target.tag] };
  return { all: true };
}

export function scheduleRunner(
  jobs: Pick<JobService, "resolveTargets" | "outdated" | "create">,
): (s: Schedule) => Promise<RunResult> {
  return async (s) => {
    const { devices, skipped } = jobs.resolveTargets(targetsOf(s.target));
    const chosen = s.onlyOutdated ? devices.filter((d) => jobs.outdated(d)) : devices;
    if (chosen.length === 0) {
      const detail =
        devices.length === 0 ? "no device matches the target" : `none of the ${devices.length} device(s) is outdated`;
      return { outcome: "nothing_to_do", jobIds: [], skipped, detail };
    }
    try {
      // A whole fleet is queued in slices (JobService.create): the sidecar keeps serving meanwhile.
      const r = await jobs.create({
        action: s.action,
        targets: { devices: chosen.map((d) => d.id) },
        priority: "scheduled",
        params: {},
        source: "schedule",
      });
      const all = [...skipped, ...r.skipped];
      if (r.jobs.length === 0)
        return { outcome: "refused", jobIds: [], skipped: all, detail: "no job could be queued (see skipped)" };
      const updated = r.jobs.filter((j) => j.coalesced).length;
      const detail = `${r.jobs.length} ${s.action} job(s) queued${updated ? ` (${updated} already waiting, updated)` : ""}`;
      return { outcome: "queued", jobIds: r.jobs.map((j) => j.jobId), skipped: all, detail };
    } catch (err) {
      // Below the build floor: refused with the reason. A full disk throws on: the run is tried again.
      if (err instanceof DiskLowError) return { outcome: "refused", jobIds: [], skipped, detail: err.message };
      throw err;
    }
  };
}
