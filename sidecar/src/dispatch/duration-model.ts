// Expected build durations, learned from finished jobs, so the dispatcher can weigh
// "wait for the worker with the warm cache" against "start a cold build elsewhere now".
import type { Placement } from "../queue/job-reads.js";

const DEFAULT_EXPECTED_MS = 60_000;
/** Without measurements, assume a cold build costs this many times a warm one (ESPHome: ~3–5×). */
const ASSUMED_COLD_FACTOR = 3;

interface DeviceDurations {
  warmMs: number | null;
  coldMs: number | null;
  lastMs: number | null;
}

export class DurationModel {
  private readonly byDevice = new Map<string, DeviceDurations>();

  record(deviceId: string, durationMs: number, warm: boolean): void {
    const d = this.byDevice.get(deviceId) ?? { warmMs: null, coldMs: null, lastMs: null };
    if (warm) d.warmMs = durationMs;
    else d.coldMs = durationMs;
    d.lastMs = durationMs;
    this.byDevice.set(deviceId, d);
  }

  /** How long a build of this device is expected to take on a worker whose cache is warm or cold. */
  expectedMs(deviceId: string, warm: boolean): number {
    const d = this.byDevice.get(deviceId);
    if (!d) return DEFAULT_EXPECTED_MS;
    if (warm)
      return d.warmMs ?? (d.coldMs != null ? d.coldMs / ASSUMED_COLD_FACTOR : (d.lastMs ?? DEFAULT_EXPECTED_MS));
    return d.coldMs ?? (d.warmMs != null ? d.warmMs * ASSUMED_COLD_FACTOR : (d.lastMs ?? DEFAULT_EXPECTED_MS));
  }

  /** What starting this device's build on a cold worker costs over a warm one. */
  coldPenaltyMs(deviceId: string): number {
    if (!this.byDevice.has(deviceId)) return 0;
    return Math.max(0, this.expectedMs(deviceId, false) - this.expectedMs(deviceId, true));
  }

  /** Time until the first of these running jobs is expected to end (0 when one is overdue). */
  expectedFreeInMs(running: Placement[], now: number, isWarm: (job: Placement) => boolean): number {
    let best = Infinity;
    for (const job of running) {
      const started = job.startedAtMs ?? now;
      const left = Math.max(0, this.expectedMs(job.deviceId, isWarm(job)) - (now - started));
      best = Math.min(best, left);
    }
    return best;
  }
}
