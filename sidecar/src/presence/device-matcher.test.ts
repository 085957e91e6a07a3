import { describe, expect, it } from "vitest";
import { DeviceMatcher } from "./device-matcher.js";

const devices = [
  { id: "kitchen", name: "kitchen", mac: null },
  { id: "plug", name: "plug", mac: "AA:BB:CC:00:11:22" },
  { id: "twin-a", name: "twin", mac: null },
  { id: "twin-b", name: "twin", mac: null },
  { id: "sensor", name: "sensor", mac: null },
];

describe("device matcher", () => {
  const m = new DeviceMatcher(devices);

  it("matches by hostname, without case", () => {
    expect(m.match({ instance: "Kitchen", mac: "0123456789ab" })).toBe("kitchen");
    expect(m.match({ instance: "hallway", mac: null })).toBeNull();
  });

  it("a known MAC wins over the name, and a board with another MAC never takes the device", () => {
    expect(m.match({ instance: "whatever", mac: "aabbcc001122" })).toBe("plug");
    expect(m.match({ instance: "plug", mac: "aabbcc999999" })).toBeNull();
    expect(m.match({ instance: "plug", mac: null })).toBeNull(); // no TXT yet: wait for the MAC
  });

  it("takes name_add_mac_suffix hostnames only when the suffix is the MAC's end", () => {
    expect(m.match({ instance: "sensor-a1b2c3", mac: "0000a0a1b2c3" })).toBe("sensor");
    expect(m.match({ instance: "sensor-a1b2c3", mac: "0000a0ffffff" })).toBeNull();
    expect(m.match({ instance: "sensor-a1b2c3", mac: null })).toBeNull();
  });

  it("never guesses between two configs with one hostname", () => {
    expect(m.match({ instance: "twin", mac: null })).toBeNull();
  });
});
