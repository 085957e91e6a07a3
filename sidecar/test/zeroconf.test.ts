// Zeroconf against a real sidecar process: it advertises `_esphome-forge._tcp` with the TXT record
// the Home Assistant config flow reads, found by a real mDNS browse (bonjour-service's browser), and
// says goodbye when it stops. Loopback has no MULTICAST flag in the sandboxes we run in, so the
// browse uses the machine's multicast interface (mDNS is link-local: 224.0.0.251 is never routed).
import { networkInterfaces } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { Bonjour, type Service } from "bonjour-service";
import { HealthResponse, ZEROCONF_SERVICE, ZeroconfTxt, zeroconfInstanceName } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { startSidecar, waitFor, type SidecarProc } from "../src/devtools/processes.js";

const hasLan = Object.values(networkInterfaces()).some((list) => list?.some((a) => !a.internal && a.family === "IPv4"));
const sidecars: SidecarProc[] = [];
const browsers: Bonjour[] = [];
afterAll(async () => {
  for (const b of browsers) b.destroy();
  await Promise.all(sidecars.map((s) => s.stop()));
});

async function start(args: string[], env: NodeJS.ProcessEnv): Promise<SidecarProc> {
  const sc = await startSidecar({ args: ["--no-seed", ...args], env });
  sidecars.push(sc);
  return sc;
}

describe.skipIf(!hasLan)(
  "zeroconf (skipped: no non-loopback IPv4 interface, and mDNS needs a multicast-capable one)",
  () => {
    it("advertises _esphome-forge._tcp with id, api, version, path and the TLS key fingerprint, found by an mDNS browse; goodbye on stop", async () => {
      const sc = await start(["--host", "0.0.0.0"], { FORGE_ZEROCONF: "on" });
      const port = Number(new URL(sc.url).port);
      // The printed URL is https (it listens beyond loopback); this machine may still speak plain HTTP.
      const health = await new Api(`http://127.0.0.1:${port}`, sc.token).json(
        "GET",
        "/health",
        undefined,
        HealthResponse,
      );
      const bonjour = new Bonjour({}, (err: Error) => console.error(`browser: ${err.message}`));
      browsers.push(bonjour);
      const ours = (s: Service) => (s.txt as { id?: string } | undefined)?.id === health.instanceId;
      const up: Service[] = [];
      const down: Service[] = [];
      const browser = bonjour.find({ type: ZEROCONF_SERVICE, protocol: "tcp" });
      browser.on("up", (s) => ours(s) && up.push(s));
      browser.on("down", (s) => ours(s) && down.push(s));
      // Other sidecars may be advertising on the same link: only ours (by instance id) counts.
      const found = await waitFor(() => up[0], "the sidecar's advertisement", 15_000);
      expect(found.name).toBe(zeroconfInstanceName(health.instanceId));
      expect(found.type).toBe(ZEROCONF_SERVICE);
      expect(found.protocol).toBe("tcp");
      expect(found.port).toBe(port);
      expect(found.addresses?.length).toBeGreaterThan(0);
      // Exactly the keys the HA config flow reads, all strings, valid by the shared schema.
      expect(found.txt).toEqual({
        id: health.instanceId,
        api: String(health.apiVersion),
        version: health.version,
        path: "/api/v1",
        fp: sc.fingerprint,
      });
      expect(ZeroconfTxt.parse(found.txt)).toEqual(found.txt);
      expect(sc.output()).toContain(`zeroconf: advertising "${found.name}"`);

      // A rotated TLS key is re-advertised: a client discovering the sidecar now pins the key it serves.
      browser.on("txt-update", (s: Service) => ours(s) && up.push(s));
      const rotated = await new Api(`http://127.0.0.1:${port}`, sc.token).json<{ fingerprint: string }>(
        "POST",
        "/tls/rotate",
        {},
      );
      expect(rotated.fingerprint).not.toBe(sc.fingerprint);
      const fp = (s: Service) => (s.txt as { fp?: string } | undefined)?.fp;
      await waitFor(
        () => up.some((s) => fp(s) === rotated.fingerprint),
        "re-advertised with the new fingerprint",
        15_000,
      );
      expect(sc.output()).toContain("re-advertised");

      await sc.stop();
      await waitFor(() => down.length > 0, "goodbye (service down) after SIGTERM", 5_000);
    });

    it("does not advertise with --no-zeroconf, with FORGE_ZEROCONF=off, or when listening on loopback only", async () => {
      const flag = await start(["--host", "0.0.0.0", "--no-zeroconf"], { FORGE_ZEROCONF: "on" });
      const env = await start(["--host", "0.0.0.0"], { FORGE_ZEROCONF: "off" });
      const loopback = await start(["--host", "127.0.0.1"], { FORGE_ZEROCONF: "on" });
      await waitFor(() => loopback.output().includes("zeroconf: not advertised"), "loopback notice");
      expect(loopback.output()).toContain("listening on 127.0.0.1 only");
      await new Promise((r) => setTimeout(r, 300)); // stderr may trail the stdout lines startSidecar waited for
      for (const sc of [flag, env, loopback]) expect(sc.output()).not.toContain("zeroconf: advertising");
    });
  },
);
