import { describe, expect, it } from "vitest";
import { extractFields, PLATFORMS, resolveAddress } from "./device-fields.js";
import { parseYaml } from "./yaml-ast.js";

const fields = (yaml: string) => extractFields(parseYaml(yaml).value);
const none = { address: null, mac: null };

describe("extractFields", () => {
  it.each(PLATFORMS.map((p) => [p]))("detects platform %s and its board", (platform) => {
    const f = fields(`esphome:\n  name: dev\n${platform}:\n  board: some-board\n`);
    expect(f.platform).toBe(platform);
    expect(f.board).toBe(platform === "host" ? null : "some-board");
  });

  it("reads ESPHome 2026.10's `rp2:` (what `esphome config` prints for an `rp2040:` config) as rp2040", () => {
    const f = fields("esphome:\n  name: dev\nrp2:\n  board: rpipicow\n  variant: RP2040\n");
    expect(f).toMatchObject({ platform: "rp2040", board: "rpipicow" });
  });

  it("reads name, friendly name and project; tolerates a config without them", () => {
    const f = fields(
      'esphome:\n  name: dev\n  friendly_name: Dev Board\n  project:\n    name: acme.widget\n    version: "1.2"\n',
    );
    expect(f).toMatchObject({
      name: "dev",
      friendlyName: "Dev Board",
      project: { name: "acme.widget", version: "1.2" },
    });
    expect(fields("logger:\n")).toMatchObject({
      name: null,
      friendlyName: null,
      platform: null,
      board: null,
      project: null,
    });
    expect(fields("esphome:\n  project: {name: a.b}\n").project).toEqual({ name: "a.b", version: null });
  });

  it("knows a deep-sleep device by its `deep_sleep:` block (any form, even empty)", () => {
    expect(fields("esphome: {name: d}\ndeep_sleep:\n  run_duration: 10s\n  sleep_duration: 5min\n").deepSleep).toBe(
      true,
    );
    expect(fields("esphome: {name: d}\ndeep_sleep:\n").deepSleep).toBe(true);
    expect(fields("esphome: {name: d}\nsensor: []\n").deepSleep).toBe(false);
  });

  it("takes the MAC of a host device from host.mac_address", () => {
    expect(fields('esphome: {name: h}\nhost:\n  mac_address: "06:35:69:ab:f6:79"\n').configMac).toBe(
      "06:35:69:ab:f6:79",
    );
  });
});

describe("resolveAddress", () => {
  it("prefers use_address, then static_ip, then a known address, then <name>.local", () => {
    const use = fields("esphome: {name: d}\nwifi:\n  use_address: 10.0.0.9\n  manual_ip: {static_ip: 10.0.0.5}\n");
    expect(resolveAddress(use, { address: "1.1.1.1", mac: null })).toEqual({
      address: "10.0.0.9",
      addressSource: "use_address",
    });
    const eth = fields("esphome: {name: d}\nethernet:\n  use_address: d-eth.lan\n");
    expect(resolveAddress(eth, none)).toEqual({ address: "d-eth.lan", addressSource: "use_address" });
    const st = fields(
      "esphome: {name: d}\nwifi:\n  manual_ip: {static_ip: 10.0.0.5, gateway: 10.0.0.1, subnet: 255.255.255.0}\n",
    );
    expect(resolveAddress(st, { address: "1.1.1.1", mac: null })).toEqual({
      address: "10.0.0.5",
      addressSource: "static_ip",
    });
    const plain = fields("esphome: {name: d}\nwifi: {ssid: x}\n");
    expect(resolveAddress(plain, { address: "10.0.0.77", mac: null })).toEqual({
      address: "10.0.0.77",
      addressSource: "known",
    });
    expect(resolveAddress(plain, none)).toEqual({ address: "d.local", addressSource: "mdns" });
    expect(resolveAddress(fields("logger:\n"), none)).toEqual({ address: null, addressSource: null });
  });

  it("treats ESPHome's filled-in default use_address as no choice", () => {
    // `esphome config` always prints use_address: <name>.local (or the static IP).
    const resolved = fields("esphome: {name: d}\nwifi:\n  domain: .local\n  use_address: d.local\n");
    expect(resolveAddress(resolved, { address: "10.0.0.8", mac: null })).toEqual({
      address: "10.0.0.8",
      addressSource: "known",
    });
    const st = fields("esphome: {name: d}\nwifi:\n  use_address: 10.0.0.5\n  manual_ip: {static_ip: 10.0.0.5}\n");
    expect(resolveAddress(st, none)).toEqual({ address: "10.0.0.5", addressSource: "static_ip" });
  });

  it("adds the MAC suffix to the mDNS name when name_add_mac_suffix is on and the MAC is known", () => {
    const f = fields("esphome:\n  name: plug\n  name_add_mac_suffix: true\nwifi: {domain: .lan}\n");
    expect(resolveAddress(f, { address: null, mac: "AA:BB:CC:DD:EE:FF" })).toEqual({
      address: "plug-ddeeff.lan",
      addressSource: "mdns",
    });
    expect(resolveAddress(f, none)).toEqual({ address: null, addressSource: null });
  });
});
