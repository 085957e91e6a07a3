import { describe, expect, it } from "vitest";
import { ZeroconfTxt, zeroconfInstanceName, zeroconfTxt } from "@esphome-forge/shared";
import { isLoopbackHost, ZeroconfAdvertiser, zeroconfEnabledByEnv } from "./zeroconf-advertiser.js";

describe("zeroconf advertiser", () => {
  it("treats only loopback listen addresses as loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "fd00::2", "::ffff:192.168.1.10"])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it("is on unless FORGE_ZEROCONF says off", () => {
    for (const v of [undefined, "", "on", "1", "yes"]) expect(zeroconfEnabledByEnv(v), String(v)).toBe(true);
    for (const v of ["off", "OFF", "0", "false", "no", " off "]) expect(zeroconfEnabledByEnv(v), v).toBe(false);
  });

  it("never advertises a loopback-only sidecar, and says why", () => {
    const logs: string[] = [];
    const a = ZeroconfAdvertiser.start({
      instanceId: "0".repeat(32),
      apiVersion: 1,
      version: "0.1.0",
      listenHost: "127.0.0.1",
      port: 7052,
      log: (m) => logs.push(m),
    });
    expect(a).toBeNull();
    expect(logs.join("\n")).toMatch(/not advertised .*127\.0\.0\.1/);
  });

  it("builds the TXT record from the instance id, API version and sidecar version", () => {
    const id = "0123456789abcdef0123456789abcdef";
    expect(zeroconfTxt({ instanceId: id, apiVersion: 1, version: "0.1.0" })).toEqual({
      id,
      api: "1",
      version: "0.1.0",
      path: "/api/v1",
    });
    expect(() => zeroconfTxt({ instanceId: "not-hex", apiVersion: 1, version: "0.1.0" })).toThrow();
    expect(ZeroconfTxt.safeParse({ id, api: "1", version: "0.1.0", path: "/api/v1", extra: "x" }).success).toBe(false);
    expect(zeroconfInstanceName(id)).toBe("Forge for ESPHome 01234567");
  });
});
