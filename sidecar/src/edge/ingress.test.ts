import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { IngressPolicy } from "./ingress.js";

/** A request as node parses it: headers by lower-case name, duplicates kept in headersDistinct. */
function request(from: string, headers: Record<string, string | string[]>): IncomingMessage {
  const distinct: Record<string, string[]> = {};
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    distinct[k] = Array.isArray(v) ? v : [v];
    flat[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return { socket: { remoteAddress: from }, headers: flat, headersDistinct: distinct } as unknown as IncomingMessage;
}

const INGRESS = {
  "x-ingress-path": "/api/hassio_ingress/Zx9_aB-3kLmNoPqR",
  "x-remote-user-id": "8f2c1a0b9d7e4f60a1b2c3d4e5f60718",
  "x-remote-user-name": "ada",
  // "Adèle" as HA sends it: UTF-8 bytes, which node reads as Latin-1.
  "x-remote-user-display-name": Buffer.from("Adèle", "utf8").toString("latin1"),
};

describe("IngressPolicy", () => {
  const p = new IngressPolicy("172.30.32.2");

  it("believes the proxy's headers from the proxy's address (IPv4 or IPv4-mapped), naming the HA user", () => {
    for (const from of ["172.30.32.2", "::ffff:172.30.32.2"]) {
      const check = p.identify(request(from, INGRESS));
      expect(check).toEqual({
        ok: true,
        identity: {
          path: "/api/hassio_ingress/Zx9_aB-3kLmNoPqR",
          user: { id: "8f2c1a0b9d7e4f60a1b2c3d4e5f60718", name: "ada", displayName: "Adèle" },
        },
      });
    }
  });

  it("refuses the same headers from any other address, the LAN and the host itself included", () => {
    for (const from of ["192.168.1.20", "172.30.32.1", "172.30.33.7", "127.0.0.1", "::1"]) {
      const check = p.identify(request(from, INGRESS));
      expect(check.ok, from).toBe(false);
      expect(!check.ok && check.message).toContain(`not ${from}`);
    }
  });

  it("refuses proxy requests without a well-formed ingress path or without a user", () => {
    const bad: Record<string, string | string[]>[] = [
      { ...INGRESS, "x-ingress-path": "/somewhere/else" },
      { ...INGRESS, "x-ingress-path": "/api/hassio_ingress/short" },
      { ...INGRESS, "x-ingress-path": "/api/hassio_ingress/Zx9_aB-3kLmNoPqR/../x" },
      { ...INGRESS, "x-ingress-path": ["/api/hassio_ingress/Zx9_aB-3kLmNoPqR", "/api/hassio_ingress/Other123456"] },
      { "x-ingress-path": INGRESS["x-ingress-path"] },
      { ...INGRESS, "x-remote-user-id": "" },
      { ...INGRESS, "x-remote-user-id": "a b" },
    ];
    for (const headers of bad)
      expect(p.identify(request("172.30.32.2", headers)).ok, JSON.stringify(headers)).toBe(false);
  });

  it("takes no Origin, or the origin the browser reached Home Assistant by (X-Forwarded-Host)", () => {
    const withOrigin = (origin: string | undefined, forwarded?: string) =>
      p.originAllowed(
        request("172.30.32.2", {
          ...INGRESS,
          ...(origin ? { origin } : {}),
          ...(forwarded ? { "x-forwarded-host": forwarded } : {}),
        }),
      );
    expect(withOrigin(undefined)).toBe(true);
    expect(withOrigin("https://ha.example.com", "ha.example.com")).toBe(true);
    expect(withOrigin("http://homeassistant.local:8123", "homeassistant.local:8123")).toBe(true);
    expect(withOrigin("https://evil.example", "ha.example.com")).toBe(false);
    expect(withOrigin("http://homeassistant.local:8124", "homeassistant.local:8123")).toBe(false);
    expect(withOrigin("https://ha.example.com")).toBe(false); // nothing to compare with
    expect(withOrigin("null", "ha.example.com")).toBe(false);
  });

  it("needs an IP address as the source", () => {
    expect(() => new IngressPolicy("supervisor")).toThrow(/IP address/);
    expect(new IngressPolicy("FD00::2").identify(request("fd00::2", INGRESS)).ok).toBe(true);
  });
});
