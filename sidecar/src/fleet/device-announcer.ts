// Keeps the in-memory device views (DeviceViews) current, rebuilding a view only when something it
// depends on changed: one of the device's jobs changed state (not its phase, progress or log), the
// inventory read the device again, a flash was recorded, or a trust change reached its verdicts. One
// device is rebuilt at once (index lookups, its verdicts if its firmware changed); many devices — a
// trust change, the start — are rebuilt in the background in short slices, so no event, request or
// worker message ever waits for the whole fleet.
import { TERMINAL_JOB_STATES, type Job } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { TrustChange } from "../trust/index.js";
import type { DeviceView } from "./device-view.js";
import type { DeviceViews } from "./device-views.js";

/** Longest a background slice runs before it yields to the event loop. */
const SLICE_MS = 8;
/** Rebuilds at once inside one event-loop turn for up to this long; beyond, they go to the background. */
const TURN_BUDGET_MS = 8;

export interface DeviceAnnouncerOptions {
  views: DeviceViews;
  view: DeviceView;
  lookup: (id: string) => InventoryDevice | undefined;
  all: () => InventoryDevice[];
  /** The trust source's memory: which devices a trust change reaches (absent without content trust). */
  trust?: { invalidate(change: TrustChange): "all" | string[]; forget(id: string): void };
}

export class DeviceAnnouncer {
  /** Last state seen per unfinished job; finished jobs are forgotten. */
  private readonly jobStates = new Map<number, Job["state"]>();
  /** Devices waiting for a background rebuild, oldest first. */
  private readonly backlog = new Set<string>();
  /** Of those, the ones an inventory read changed: announced even when the view is the same. */
  private readonly forced = new Set<string>();
  private sliceScheduled = false;
  /** Time spent rebuilding views at once in this event-loop turn (a burst of job events). */
  private turn = { spentMs: 0, resetScheduled: false };
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: DeviceAnnouncerOptions) {}

  /**
   * The first views, at start: every device from the queue's index lookups; trust verdicts evaluated
   * for as many as fit in `budgetMs`, the others read "not checked yet" until the background gets to them.
   */
  start(budgetMs: number): void {
    const t0 = performance.now();
    for (const d of this.o.all()) {
      const inBudget = performance.now() - t0 < budgetMs;
      this.o.views.put(this.o.view.toDevice(d, { cachedTrustOnly: !inBudget }));
      if (!inBudget) this.backlog.add(d.id);
    }
    this.schedule();
  }

  jobChanged(job: Job): void {
    const before = this.jobStates.get(job.id);
    if (TERMINAL_JOB_STATES.includes(job.state)) this.jobStates.delete(job.id);
    else this.jobStates.set(job.id, job.state);
    if (before !== job.state) this.refresh(job.deviceId);
  }

  /** Something outside the job's own state changed (a flash was recorded for trust): announce if the view differs. */
  refresh(deviceId: string): void {
    const d = this.o.lookup(deviceId);
    if (d) this.rebuild(d);
  }

  /** The inventory read this device (new or changed): always announced. */
  deviceChanged(d: InventoryDevice): void {
    this.rebuild(d, true);
  }

  deviceRemoved(id: string): void {
    this.backlog.delete(id);
    this.forced.delete(id);
    this.o.trust?.forget(id);
    this.o.views.remove(id);
  }

  /** A trust change: the devices whose verdicts it may alter are rebuilt in the background. */
  trustChanged(change: TrustChange): void {
    const reached = this.o.trust?.invalidate(change) ?? "all";
    if (reached === "all") this.refreshAll();
    else {
      for (const id of reached) this.backlog.add(id);
      this.schedule();
    }
  }

  /** Jobs deleted by retention: views naming one of them (last build, flash, stored firmware) are rebuilt. */
  jobsPruned(ids: readonly number[]): void {
    const gone = new Set(ids);
    for (const d of this.o.views.list()) {
      const named = [d.lastBuild?.jobId, d.lastFlash?.jobId, d.storedFirmware?.jobId];
      if (named.some((id) => id != null && gone.has(id))) this.backlog.add(d.id);
    }
    this.schedule();
  }

  /** Every view again, in the background (e.g. the fleet's default ESPHome version changed). */
  refreshAll(): void {
    for (const d of this.o.all()) this.backlog.add(d.id);
    this.schedule();
  }

  /** Devices waiting for a background rebuild. */
  get pending(): number {
    return this.backlog.size;
  }

  /** Resolves once no background rebuild is waiting (tests, the benchmark). */
  idle(): Promise<void> {
    if (this.backlog.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private rebuild(d: InventoryDevice, force = false): void {
    // A burst (a whole fleet queued, many leases lapsing) spills into the background after the budget.
    if (this.turn.spentMs >= TURN_BUDGET_MS) {
      this.backlog.add(d.id);
      if (force) this.forced.add(d.id);
      this.schedule();
      return;
    }
    const t0 = performance.now();
    this.backlog.delete(d.id);
    this.o.views.put(this.o.view.toDevice(d), force);
    this.turn.spentMs += performance.now() - t0;
    if (!this.turn.resetScheduled) {
      this.turn.resetScheduled = true;
      setImmediate(() => (this.turn = { spentMs: 0, resetScheduled: false }));
    }
  }

  private schedule(): void {
    if (this.sliceScheduled || this.backlog.size === 0) return;
    this.sliceScheduled = true;
    setImmediate(() => this.slice());
  }

  private slice(): void {
    this.sliceScheduled = false;
    const t0 = performance.now();
    for (const id of this.backlog) {
      if (performance.now() - t0 >= SLICE_MS) break;
      this.backlog.delete(id);
      const force = this.forced.delete(id);
      const d = this.o.lookup(id);
      if (d) this.o.views.put(this.o.view.toDevice(d), force);
    }
    if (this.backlog.size > 0) this.schedule();
    else for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
