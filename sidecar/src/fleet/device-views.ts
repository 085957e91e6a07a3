// The fleet's Device views, kept in memory: what GET /devices, GET /devices/:id and the events snapshot
// serve, so none of them queries the database or evaluates trust. The announcer writes each view when
// something it depends on changed; a view that comes out identical to the one held is not announced.
import type { Device } from "@esphome-forge/shared";
import type { EventBus } from "../events/event-bus.js";

import { randomBytes } from "node:crypto";

interface Held {
  device: Device;
  /** The view as JSON (UTF-8): compared to skip repeats, copied into its slab of the list. */
  json: Buffer;
}

/** The list body in parts: `{"devices":[`, the slabs joined by commas, `]}`. */
export interface DeviceListJson {
  parts: Buffer[];
  /** Bytes in all parts (the Content-Length). */
  length: number;
  etag: string;
}

const COMMA = Buffer.from(",");
const LIST_OPEN = Buffer.from('{"devices":[');
const LIST_CLOSE = Buffer.from("]}");
const ARRAY_OPEN = Buffer.from("[");
const ARRAY_CLOSE = Buffer.from("]");
/**
 * Views per slab: the list is kept as slabs of consecutive views' JSON (about 64 KB each at 2,000 devices), and
 * a change copies its slab again, not the whole 4 MB list. A fleet build changes views several times a second,
 * and a dashboard polling GET /devices had a fresh 4 MB buffer copied (and garbage-collected) for every poll.
 */
const VIEWS_PER_SLAB = 32;

export class DeviceViews {
  private readonly held = new Map<string, Held>();
  private sortedIds: string[] | null = null;
  /** Each slab's views' JSON joined by commas; null until it is asked for after a change. */
  private slabs: (Buffer | null)[] = [];
  /** A device's slab, by its place in the sorted ids. */
  private readonly slabOf = new Map<string, number>();
  private listBody: DeviceListJson | null = null;
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
   * `{"devices":[…]}` for GET /devices, in parts a response writes one after the other (no serializing, and
   * only the slabs that changed are copied again), kept until a view changes. The ETag names that version,
   * so a client polling an unchanged fleet gets a 304.
   */
  listJson(): DeviceListJson {
    if (!this.listBody) {
      const parts: Buffer[] = [LIST_OPEN];
      for (const slab of this.currentSlabs()) parts.push(slab, COMMA);
      if (parts.length > 1) parts.pop();
      parts.push(LIST_CLOSE);
      const length = parts.reduce((n, p) => n + p.length, 0);
      this.listBody = { parts, length, etag: `W/"devices-${this.runTag}-${this.version}"` };
    }
    return this.listBody;
  }

  /** The views as one JSON array (UTF-8) in parts, the slabs themselves: the events snapshot sends them as they are. */
  arrayJson(): Buffer[] {
    const { parts } = this.listJson();
    return [ARRAY_OPEN, ...parts.slice(1, -1), ARRAY_CLOSE];
  }

  get size(): number {
    return this.held.size;
  }

  /** Holds this view and announces it when it differs from the one held (or always, with `force`). */
  put(device: Device, force = false): boolean {
    const json = ownBuffer(JSON.stringify(device));
    const before = this.held.get(device.id);
    if (!force && before?.json.equals(json)) return false;
    this.held.set(device.id, { device, json });
    if (before) this.changed(device.id);
    else this.reordered();
    this.bus.device("upsert", device.id, device);
    return true;
  }

  remove(id: string): void {
    if (this.held.delete(id)) this.reordered();
    this.bus.device("remove", id, null);
  }

  /** One view changed in place: only its slab is copied again. */
  private changed(id: string): void {
    const slab = this.slabOf.get(id);
    if (slab !== undefined) this.slabs[slab] = null;
    this.listBody = null;
    this.version++;
  }

  /** A view came or went: the order, and so every slab, is new. */
  private reordered(): void {
    this.sortedIds = null;
    this.listBody = null;
    this.version++;
  }

  private ids(): string[] {
    if (!this.sortedIds) {
      this.sortedIds = [...this.held.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.slabOf.clear();
      this.sortedIds.forEach((id, i) => this.slabOf.set(id, Math.floor(i / VIEWS_PER_SLAB)));
      this.slabs = new Array<Buffer | null>(Math.ceil(this.sortedIds.length / VIEWS_PER_SLAB)).fill(null);
    }
    return this.sortedIds;
  }

  private currentSlabs(): Buffer[] {
    const ids = this.ids();
    return this.slabs.map((slab, i) => {
      if (slab) return slab;
      const parts: Buffer[] = [];
      for (const id of ids.slice(i * VIEWS_PER_SLAB, (i + 1) * VIEWS_PER_SLAB))
        parts.push(this.held.get(id)!.json, COMMA);
      parts.pop();
      return (this.slabs[i] = Buffer.concat(parts));
    });
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
