import { describe, expect, it } from "vitest";
import { makeDevice } from "../../test/support/fixtures/fleet.js";
import { esphomeVersionOf, PresenceResolver } from "./ha-presence.js";
import type { HomeAssistantLike } from "./ha-types.js";

const dev = makeDevice(1, {
  id: "kitchen-light",
  name: "kitchen-light",
  friendlyName: "Kitchen light",
  mac: "AA:BB:CC:00:00:01",
});
const other = makeDevice(2, { id: "garage", name: "garage", friendlyName: "Garage", mac: null });

function hass(states: Record<string, string>): HomeAssistantLike {
  return {
    connection: {} as HomeAssistantLike["connection"],
    states: Object.fromEntries(
      Object.entries(states).map(([id, state]) => [id, { entity_id: id, state, attributes: {} }]),
    ),
    devices: {
      d1: {
        id: "d1",
        name: "Kitchen light",
        connections: [["mac", "aa:bb:cc:00:00:01"]],
        sw_version: "2026.9.1 (ESPHome 2026.9.1)",
      },
      d2: { id: "d2", name: "Garage", connections: [], sw_version: "1.4 (ESPHome 2026.10.0)" },
    },
    entities: {
      "light.kitchen": { entity_id: "light.kitchen", device_id: "d1", platform: "esphome" },
      "sensor.kitchen_rssi": { entity_id: "sensor.kitchen_rssi", device_id: "d1", platform: "esphome" },
      "switch.garage": { entity_id: "switch.garage", device_id: "d2", platform: "esphome" },
      "sensor.forge_status": { entity_id: "sensor.forge_status", device_id: "d2", platform: "esphome_forge" },
    },
  };
}

describe("presence from Home Assistant", () => {
  it("parses ESPHome's sw_version", () => {
    expect(esphomeVersionOf("2026.9.1 (ESPHome 2026.9.1)")).toBe("2026.9.1");
    expect(esphomeVersionOf("1.4 (ESPHome 2026.10.0)")).toBe("2026.10.0");
    expect(esphomeVersionOf("2026.10.0")).toBe("2026.10.0");
    expect(esphomeVersionOf(null)).toBeNull();
  });

  it("matches by MAC, else by name; online unless all ESPHome entities are unavailable", () => {
    const r = new PresenceResolver();
    const p = r.resolve(
      hass({
        "light.kitchen": "on",
        "sensor.kitchen_rssi": "unavailable",
        "switch.garage": "unavailable",
        "sensor.forge_status": "idle",
      }),
      [dev, other],
    );
    expect(p.get("kitchen-light")).toEqual({
      online: true,
      gap: null,
      runningVersion: "2026.9.1",
      swVersion: "2026.9.1 (ESPHome 2026.9.1)",
    });
    expect(p.get("garage")).toEqual({
      online: false,
      gap: null,
      runningVersion: "2026.10.0",
      swVersion: "1.4 (ESPHome 2026.10.0)",
    });
  });

  it("returns the same map (and entries) while nothing relevant changes", () => {
    const r = new PresenceResolver();
    const a = r.resolve(hass({ "light.kitchen": "on", "switch.garage": "off" }), [dev, other]);
    const b = r.resolve(hass({ "light.kitchen": "off", "switch.garage": "on" }), [dev, other]);
    expect(b).toBe(a);
    const c = r.resolve(
      hass({ "light.kitchen": "unavailable", "sensor.kitchen_rssi": "unavailable", "switch.garage": "on" }),
      [dev, other],
    );
    expect(c).not.toBe(a);
    expect(c.get("garage")).toBe(a.get("garage"));
    expect(c.get("kitchen-light")!.online).toBe(false);
  });

  it("says why the online state is unknown", () => {
    const stranger = makeDevice(9, { id: "x", name: "x", friendlyName: null, mac: null });
    // ESPHome is set up in HA, but has no device like this one.
    const p = new PresenceResolver().resolve(hass({}), [stranger, dev]);
    expect(p.get("x")).toEqual({ online: null, gap: "no_device", runningVersion: null, swVersion: null });
    // The device is known, but none of its entities has a state.
    expect(p.get("kitchen-light")).toMatchObject({ online: null, gap: "no_entities", runningVersion: "2026.9.1" });
    // No ESPHome integration in HA at all.
    const bare = { ...hass({}), devices: {}, entities: {} };
    expect(new PresenceResolver().resolve(bare, [dev]).get("kitchen-light")).toEqual({
      online: null,
      gap: "no_esphome",
      runningVersion: null,
      swVersion: null,
    });
  });
});
