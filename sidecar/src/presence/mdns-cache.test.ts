import { describe, expect, it } from "vitest";
import type { Answer } from "dns-packet";
import { instanceOf, MAX_ADDRESSES, MAX_INSTANCES, MdnsCache } from "./mdns-cache.js";

const S = "_esphomelib._tcp.local";
function device(name: string, ttl = 120, txt = ["version=2026.10.0", "mac=aabbccddeeff"]): Answer[] {
  return [
    { name: S, type: "PTR", ttl, data: `${name}.${S}` },
    { name: `${name}.${S}`, type: "SRV", ttl, data: { target: `${name}.local`, port: 6053 } },
    { name: `${name}.${S}`, type: "TXT", ttl, data: txt.map((t) => Buffer.from(t)) },
    { name: `${name}.local`, type: "A", ttl, data: "192.168.1.20" },
    { name: `${name}.local`, type: "AAAA", ttl, data: "fd00::20" },
  ];
}

describe("mDNS cache of _esphomelib._tcp", () => {
  it("turns a device's answer into an advertisement with addresses and facts", () => {
    const c = new MdnsCache();
    const e = c.apply({ answers: device("kitchen").slice(0, 1), additionals: device("kitchen").slice(1) });
    expect([...e.alive]).toEqual(["kitchen"]);
    expect([...e.withTxt]).toEqual(["kitchen"]);
    expect(e.incomplete.size + e.unresolved.size + e.gone.size).toBe(0);
    expect(c.get("kitchen", true)).toEqual({
      instance: "kitchen",
      host: "kitchen.local",
      port: 6053,
      addresses: ["192.168.1.20", "fd00::20"],
      facts: expect.objectContaining({ esphomeVersion: "2026.10.0", mac: "aabbccddeeff" }),
      hasTxt: true,
      txtFresh: true,
    });
  });

  it("merges records across packets and says what is still missing", () => {
    const c = new MdnsCache();
    const [ptr, srv, txt, a] = device("porch");
    expect([...c.apply({ answers: [ptr!] }).incomplete]).toEqual(["porch"]);
    const e = c.apply({ answers: [srv!, txt!] });
    expect([...e.unresolved]).toEqual(["porch.local"]);
    // An address answer alone: the device is alive, its TXT is not first-hand in this packet.
    const later = c.apply({ answers: [a!] });
    expect([...later.alive]).toEqual(["porch"]);
    expect(later.withTxt.size).toBe(0);
    expect(c.get("porch")?.addresses).toEqual(["192.168.1.20"]);
  });

  it("reports goodbyes (TTL 0) and ignores other services and odd names", () => {
    const c = new MdnsCache();
    c.apply({ answers: device("kitchen") });
    expect([...c.apply({ answers: device("kitchen", 0).slice(0, 1) }).gone]).toEqual(["kitchen"]);
    const other = c.apply({
      answers: [
        { name: "_http._tcp.local", type: "PTR", ttl: 120, data: "kitchen._http._tcp.local" },
        { name: S, type: "PTR", ttl: 120, data: `a.b.${S}` },
      ],
    });
    expect(other.alive.size).toBe(0);
    expect(instanceOf(`Kitchen.${S}.`)).toBe("kitchen");
    expect(instanceOf(`${"x".repeat(64)}.${S}`)).toBeNull();
  });

  it("stays bounded under a flood of instances and addresses", () => {
    const c = new MdnsCache();
    for (let i = 0; i < MAX_INSTANCES + 50; i++) c.apply({ answers: device(`d${i}`) });
    expect(c.get("d0")).toBeNull();
    expect(c.get(`d${MAX_INSTANCES + 49}`)).not.toBeNull();
    const flood: Answer[] = Array.from({ length: 40 }, (_, i) => ({
      name: `d${MAX_INSTANCES + 49}.local`,
      type: "A" as const,
      ttl: 120,
      data: `10.0.0.${i}`,
    }));
    c.apply({ answers: flood });
    expect(c.get(`d${MAX_INSTANCES + 49}`)!.addresses.length).toBeLessThanOrEqual(MAX_ADDRESSES);
  });
});
