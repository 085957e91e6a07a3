// Which inventory device an advertisement belongs to. The MAC is the stable identity: a device
// whose MAC Forge knows (metadata block, `host: mac_address`) matches only an advertisement with
// that MAC. Otherwise the name: the instance is the device's hostname (`esphome.name`), or that
// name plus `-` and the MAC's last six hex digits (`name_add_mac_suffix`).
import { macHex } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";

export interface MatchInput {
  instance: string;
  mac: string | null;
}

export class DeviceMatcher {
  private byMac = new Map<string, string>();
  private byName = new Map<string, string>();
  private macOf = new Map<string, string>();

  constructor(devices: readonly Pick<InventoryDevice, "id" | "name" | "mac">[] = []) {
    this.rebuild(devices);
  }

  rebuild(devices: readonly Pick<InventoryDevice, "id" | "name" | "mac">[]): void {
    this.byMac = new Map();
    this.byName = new Map();
    this.macOf = new Map();
    for (const d of devices) {
      const mac = macHex(d.mac);
      if (mac) {
        this.byMac.set(mac, d.id);
        this.macOf.set(d.id, mac);
      }
      // Two configs with one hostname: neither is matched by name (the MAC still matches).
      const name = d.name?.toLowerCase();
      if (name) this.byName.set(name, this.byName.has(name) ? "" : d.id);
    }
  }

  /** The device id, or null when no device (or more than one by name) fits. */
  match(ad: MatchInput): string | null {
    const mac = macHex(ad.mac);
    if (mac && this.byMac.has(mac)) return this.byMac.get(mac)!;
    const instance = ad.instance.toLowerCase();
    const byName = (id: string | undefined): string | null => {
      if (!id) return null;
      const known = this.macOf.get(id);
      // A device whose MAC is known never takes another board's advertisement by name.
      return known && known !== mac ? null : id;
    };
    const exact = byName(this.byName.get(instance));
    if (exact) return exact;
    const suffix = /^(.+)-([0-9a-f]{6})$/.exec(instance);
    if (suffix && mac && mac.endsWith(suffix[2]!)) return byName(this.byName.get(suffix[1]!));
    return null;
  }
}
