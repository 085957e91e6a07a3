// Online state and running firmware version come from Home Assistant, not the sidecar: the
// ESPHome integration's device (matched by MAC, else by name) reports `sw_version`, and its
// entities turn `unavailable` when the device is offline. Results keep their identity while
// nothing changed, so a hass update that does not concern a device does not re-render its row.
import type { Device } from "@esphome-forge/shared";
import type { DevicePresence, PresenceGap } from "../data/types.js";
import type { HassDeviceLike, HomeAssistantLike } from "./ha-types.js";

const normMac = (mac: string) => mac.toLowerCase().replace(/[^0-9a-f]/g, "");
const normName = (n: string) => n.toLowerCase().replace(/[\s_]+/g, "-");

/** "2026.10.0 (ESPHome 2026.10.0)" or "1.2 (ESPHome 2026.10.0)" → "2026.10.0". */
export function esphomeVersionOf(sw: string | null | undefined): string | null {
  if (!sw) return null;
  const m = /ESPHome\s+v?([\w.-]+)/i.exec(sw) ?? /^v?(\d{4}\.\d+\.\d+\w*)/.exec(sw.trim());
  return m ? m[1]! : null;
}

interface RegistryIndex {
  byMac: Map<string, HassDeviceLike>;
  byName: Map<string, HassDeviceLike>;
  entitiesOf: Map<string, string[]>;
  /** Whether HA has any ESPHome entity at all (else the ESPHome integration is not set up). */
  hasEsphome: boolean;
}

export class PresenceResolver {
  private indexed: { devices: unknown; entities: unknown; index: RegistryIndex } | null = null;
  private last: Map<string, DevicePresence> = new Map();

  private index(hass: HomeAssistantLike): RegistryIndex {
    if (this.indexed && this.indexed.devices === hass.devices && this.indexed.entities === hass.entities)
      return this.indexed.index;
    const entitiesOf = new Map<string, string[]>();
    let hasEsphome = false;
    for (const e of Object.values(hass.entities ?? {})) {
      if (e.platform === "esphome") hasEsphome = true;
      if (!e.device_id || (e.platform && e.platform !== "esphome")) continue;
      const list = entitiesOf.get(e.device_id) ?? [];
      list.push(e.entity_id);
      entitiesOf.set(e.device_id, list);
    }
    // Only devices of the ESPHome integration: other integrations (ours among them) may carry
    // the same name or MAC address without saying anything about the device being online.
    const byMac = new Map<string, HassDeviceLike>();
    const byName = new Map<string, HassDeviceLike>();
    for (const d of Object.values(hass.devices ?? {})) {
      if (!entitiesOf.has(d.id)) continue;
      for (const [kind, value] of d.connections ?? []) if (kind === "mac") byMac.set(normMac(value), d);
      for (const n of [d.name, d.name_by_user]) if (n) byName.set(normName(n), d);
    }
    const index = { byMac, byName, entitiesOf, hasEsphome };
    this.indexed = { devices: hass.devices, entities: hass.entities, index };
    return index;
  }

  resolve(hass: HomeAssistantLike | null, devices: Iterable<Device>): Map<string, DevicePresence> {
    if (!hass) return this.last;
    const idx = this.index(hass);
    const next = new Map<string, DevicePresence>();
    let changed = false;
    let count = 0;
    for (const d of devices) {
      count++;
      const ha =
        (d.mac ? idx.byMac.get(normMac(d.mac)) : undefined) ??
        [d.friendlyName, d.name, d.id]
          .filter((n): n is string => !!n)
          .map((n) => idx.byName.get(normName(n)))
          .find(Boolean);
      let online: boolean | null = null;
      let gap: PresenceGap | null = !idx.hasEsphome ? "no_esphome" : ha ? null : "no_device";
      if (ha) {
        const ids = idx.entitiesOf.get(ha.id) ?? [];
        const states = ids.map((id) => hass.states[id]?.state).filter((s): s is string => s !== undefined);
        if (states.length) online = states.some((s) => s !== "unavailable");
        else gap = "no_entities";
      }
      const swVersion = ha?.sw_version ?? null;
      const runningVersion = esphomeVersionOf(swVersion);
      const prev = this.last.get(d.id);
      if (
        prev &&
        prev.online === online &&
        prev.gap === gap &&
        prev.runningVersion === runningVersion &&
        prev.swVersion === swVersion
      )
        next.set(d.id, prev);
      else {
        next.set(d.id, { online, gap, runningVersion, swVersion });
        changed = true;
      }
    }
    if (!changed && count === this.last.size) return this.last;
    this.last = next;
    return next;
  }
}
