// The fleet's Device views, kept in memory: what GET /devices, GET /devices/:id and the events snapshot
// serve, so none of them queries the database or evaluates trust. The announcer writes each view when
// something it depends on changed; a view that comes out identical to the one held is not announced.
import type { Device } from "@esphome-forge/shared";
import type { EventBus } from "../events/event-bus.js";

interface Held {
  device: Device;
  /** The view as JSON: compared to skip repeats, and joined into the list body. */
  json: string;
}

export class DeviceViews {
  private readonly held = new Map<string, Held>();
  private sortedIds: string[] | null = null;
  private listBody: string | null = null;

  constructor(private readonly bus: EventBus) {}

  get(id: string): Device | undefined {
    return this.held.get(id)?.device;
  }

  /** Every view, by device id. */
  list(): Device[] {
    return this.ids().map((id) => this.held.get(id)!.device);
  }

  /** `{"devices":[…]}` for GET /devices, joined from the views' JSON and kept until a view changes. */
  listJson(): string {
    this.listBody ??= `{"devices":[${this.ids()
      .map((id) => this.held.get(id)!.json)
      .join(",")}]}`;
    return this.listBody;
  }

  get size(): number {
    return this.held.size;
  }

  /** Holds this view and announces it when it differs from the one held (or always, with `force`). */
  put(device: Device, force = false): boolean {
    const json = JSON.stringify(device);
    const before = this.held.get(device.id);
    if (!force && before?.json === json) return false;
    if (!before) this.sortedIds = null;
    this.held.set(device.id, { device, json });
    this.listBody = null;
    this.bus.device("upsert", device.id, device);
    return true;
  }

  remove(id: string): void {
    if (this.held.delete(id)) {
      this.sortedIds = null;
      this.listBody = null;
    }
    this.bus.device("remove", id, null);
  }

  private ids(): string[] {
    this.sortedIds ??= [...this.held.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.sortedIds;
  }
}
