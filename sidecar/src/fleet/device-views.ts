// The fleet's Device views, kept in memory: what GET /devices, GET /devices/:id and the events snapshot
// serve, so none of them queries the database or evaluates trust. The announcer writes each view when
// something it depends on changed; a view that comes out identical to the one held is not announced.
import type { Device } from "@esphome-forge/shared";
import type { EventBus } from "../events/event-bus.js";

import { randomBytes } from "node:crypto";

interface Held {
  device: Device;
  /** The view as JSON (UTF-8): compared to skip repeats, joined into the list and the snapshot. */
  json: Buffer;
}

const COMMA = Buffer.from(",");
const LIST_OPEN = Buffer.from('{"devices":[');
const LIST_CLOSE = Buffer.from("]}");

export class DeviceViews {
  private readonly held = new Map<string, Held>();
  private sortedIds: string[] | null = null;
  private listBody: { body: Buffer; etag: string } | null = null;
  /** Bumped on every change: with this sidecar run's tag, the list's ETag (no hashing of the body). */
  private version = 0;
  private readonly runTag = randomBytes(4).toString("hex");

  constructor(private readonly bus: EventBus) {}

  get(id: string): Device | undefined {
    return this.held.get(id)?.device;
  }

  /** Every view, by device id. */
  list(): Device[] {
    return this.ids().map((id) => this.held.get(id)!.device);
  }

  /**
   * `{"devices":[…]}` for GET /devices: the views' JSON copied together (one memcpy, no serializing),
   * kept until a view changes. The ETag names that version, so a client polling an unchanged fleet
   * gets a 304.
   */
  listJson(): { body: Buffer; etag: string } {
    if (!this.listBody) {
      const parts: Buffer[] = [LIST_OPEN];
      for (const id of this.ids()) parts.push(this.held.get(id)!.json, COMMA);
      if (parts.length > 1) parts.pop();
      parts.push(LIST_CLOSE);
      this.listBody = { body: Buffer.concat(parts), etag: `W/"devices-${this.runTag}-${this.version}"` };
    }
    return this.listBody;
  }

  /** The views as a JSON array (UTF-8, a view of the list body), for the events snapshot. */
  arrayJson(): Buffer {
    const { body } = this.listJson();
    return body.subarray(LIST_OPEN.length - 1, body.length - LIST_CLOSE.length + 1);
  }

  get size(): number {
    return this.held.size;
  }

  /** Holds this view and announces it when it differs from the one held (or always, with `force`). */
  put(device: Device, force = false): boolean {
    const json = ownBuffer(JSON.stringify(device));
    const before = this.held.get(device.id);
    if (!force && before?.json.equals(json)) return false;
    if (!before) this.sortedIds = null;
    this.held.set(device.id, { device, json });
    this.changed();
    this.bus.device("upsert", device.id, device);
    return true;
  }

  remove(id: string): void {
    if (this.held.delete(id)) {
      this.sortedIds = null;
      this.changed();
    }
    this.bus.device("remove", id, null);
  }

  private changed(): void {
    this.listBody = null;
    this.version++;
  }

  private ids(): string[] {
    this.sortedIds ??= [...this.held.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.sortedIds;
  }
}

/**
 * A buffer with its own memory: Buffer.from() carves small strings out of a shared 8 KB pool, and one
 * long-lived view would keep a whole pool slab alive (2,000 views held 16 MB instead of 3).
 */
function ownBuffer(text: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  b.write(text);
  return b;
}
