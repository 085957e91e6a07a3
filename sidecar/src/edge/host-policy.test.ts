import { describe, expect, it } from "vitest";
import { HostPolicy } from "./host-policy.js";

describe("HostPolicy", () => {
  const p = new HostPolicy({
    machineName: "forge-box.example.com",
    allowedHosts: ["forge.example.org", "*.ci.example.net"],
    allowedOrigins: ["https://proxy.example.com"],
  });

  it("answers to IP literals, unregistrable names, this machine and the allow-list", () => {
    for (const h of [
      "10.0.0.5:7052",
      "[fe80::1]:7052",
      "forge",
      "a.localhost",
      "pi.local",
      "nas.home.arpa",
      "x.internal",
      "r.lan",
      "forge-box.example.com",
      "FORGE.example.org.",
      "b.ci.example.net",
    ])
      expect(p.hostAllowed(h), h).toBe(true);
    for (const h of [
      undefined,
      "",
      "evil.com",
      "ci.example.net",
      "forge.example.org.evil.com",
      "a@b",
      "x/y",
      "localhost.evil.com",
    ])
      expect(p.hostAllowed(h), String(h)).toBe(false);
    expect(new HostPolicy({ allowedHosts: ["*"] }).hostAllowed("anything.example")).toBe(true);
  });

  it("takes no Origin, the request's own origin, or an allowed one", () => {
    expect(p.originAllowed(undefined, "10.0.0.5:7052")).toBe(true);
    expect(p.originAllowed("http://10.0.0.5:7052", "10.0.0.5:7052")).toBe(true);
    expect(p.originAllowed("https://forge.lan", "forge.lan")).toBe(true);
    expect(p.originAllowed("https://proxy.example.com", "127.0.0.1:7052")).toBe(true);
    expect(p.originAllowed("http://10.0.0.5:7053", "10.0.0.5:7052")).toBe(false);
    expect(p.originAllowed("http://evil.com", "10.0.0.5:7052")).toBe(false);
    expect(p.originAllowed("null", "10.0.0.5:7052")).toBe(false);
    expect(p.originAllowed("file://", "10.0.0.5:7052")).toBe(false);
  });
});
