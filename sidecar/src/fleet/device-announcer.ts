// Announces device views on the events stream, but only when one may have changed. A device's
// view depends on its jobs' states (last build, last flash, outdated) and on trust data, not on
// a running job's phase, progress or log, so those job events cost no device query; a view that
// comes out identical to the last one announced is not sent again. Trust changes (a revocation,
// a key event) re-announce every device once, however many arrive together.
import { TERMINAL_JOB_STATES, type Device, type Job } from "@esphome-forge/shared";
import type { EventBus } from "../events/event-bus.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { DeviceView } from "./device-view.js";

export class DeviceAnnouncer {
  /** Last state seen per unfinished job; finished jobs are forgotten. */
  private readonly jobStates = new Map<number, Job["state"]>();
  /** The JSON last announced per device, to skip repeats. */
  private readonly announced = new Map<string, string>();
  private allPending = false;

  constructor(
    private readonly bus: EventBus,
    private readonly view: DeviceView,
    private readonly lookup: (id: string) => InventoryDevice | undefined,
    private readonly all: () => InventoryDevice[],
  ) {}

  jobChanged(job: Job): void {
    const before = this.jobStates.get(job.id);
    if (TERMINAL_JOB_STATES.includes(job.state)) this.jobStates.delete(job.id);
    else this.jobStates.set(job.id, job.state);
    if (before === job.state) return;
    const d = this.lookup(job.deviceId);
    if (d) this.announce(d);
  }

  /** Something outside the job's own state changed (a flash was recorded for trust): announce if the view differs. */
  refresh(deviceId: string): void {
    const d = this.lookup(deviceId);
    if (d) this.announce(d);
  }

  /** The inventory read this device (new or changed): always announced. */
  deviceChanged(d: InventoryDevice): void {
    this.announce(d, true);
  }

  deviceRemoved(id: string): void {
    this.announced.delete(id);
    this.bus.device("remove", id, null);
  }

  /** Something every verdict may depend on changed: re-announce all devices on the next turn. */
  trustChanged(): void {
    if (this.allPending) return;
    this.allPending = true;
    setImmediate(() => {
      this.allPending = false;
      for (const d of this.all()) this.announce(d);
    });
  }

  private announce(d: InventoryDevice, force = false): void {
    const device: Device = this.view.toDevice(d);
    const json = JSON.stringify(device);
    if (!force && this.announced.get(d.id) === json) return;
    this.announced.set(d.id, json);
    this.bus.device("upsert", d.id, device);
  }
}
