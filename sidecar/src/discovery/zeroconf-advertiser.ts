// Advertises the sidecar on the LAN as `_esphome-forge._tcp` (DNS-SD over mDNS) so Home Assistant
// discovers it. The TXT record is `ZeroconfTxt` from shared/ (instance id, API version, sidecar
// version, API path); the SRV record carries host and port. A sidecar that only listens on loopback
// is not advertised: nobody else could reach the address.
import type { EventEmitter } from "node:events";
import { isIPv4, isIPv6 } from "node:net";
import { Bonjour, type Service } from "bonjour-service";
import {
  ZEROCONF_PROTOCOL,
  ZEROCONF_SERVICE,
  zeroconfInstanceName,
  zeroconfTxt,
  type ZeroconfTxt,
} from "@esphome-forge/shared";

export interface ZeroconfAdvertiserOptions {
  instanceId: string;
  apiVersion: number;
  version: string;
  /** The address the HTTP server listens on, and its port. */
  listenHost: string;
  port: number;
  /** The sidecar's TLS key fingerprint (TXT `fp`): clients speak https and pin it. */
  fingerprint?: string | null;
  log: (msg: string) => void;
}

/** `FORGE_ZEROCONF=off` (or `0`, `false`, `no`) turns advertising off; anything else leaves it on. */
export function zeroconfEnabledByEnv(value: string | undefined): boolean {
  return !/^(off|0|false|no)$/i.test((value ?? "").trim());
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  if (isIPv4(h)) return h.startsWith("127.");
  return isIPv6(h) && h.startsWith("::ffff:127.");
}

export class ZeroconfAdvertiser {
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly bonjour: Bonjour,
    private service: Service,
    readonly name: string,
    public txt: ZeroconfTxt,
    private readonly o: ZeroconfAdvertiserOptions,
  ) {}

  /** Starts advertising; null when the sidecar listens on loopback only (logged). Never throws for network trouble. */
  static start(o: ZeroconfAdvertiserOptions): ZeroconfAdvertiser | null {
    if (isLoopbackHost(o.listenHost)) {
      o.log(`zeroconf: not advertised (listening on ${o.listenHost} only; use --host 0.0.0.0 to be discovered)`);
      return null;
    }
    const report = (err: unknown) => o.log(`zeroconf: ${(err as Error).message ?? String(err)}`);
    const bonjour = new Bonjour({}, report);
    // multicast-dns emits `error` on socket trouble; unhandled it would end the process.
    const mdns = (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns;
    mdns?.on("error", report);
    mdns?.on("warning", report);
    const txt = zeroconfTxt(o);
    const name = zeroconfInstanceName(o.instanceId);
    const service = publish(bonjour, name, txt, o);
    o.log(
      `zeroconf: advertising "${name}" as _${ZEROCONF_SERVICE}._${ZEROCONF_PROTOCOL} on port ${o.port} (id ${o.instanceId})`,
    );
    return new ZeroconfAdvertiser(bonjour, service, name, txt, o);
  }

  /**
   * The TLS key was rotated: the record with the old `fp` is withdrawn (goodbye) and one with the new
   * fingerprint announced, so a client that discovers the sidecar now pins the key it actually serves.
   */
  rotated(fingerprint: string): void {
    if (this.stopping) return;
    const old = this.service;
    this.txt = zeroconfTxt({ ...this.o, fingerprint });
    old.stop?.(() => {
      if (this.stopping) return;
      this.service = publish(this.bonjour, this.name, this.txt, this.o);
      this.o.log(`zeroconf: re-advertised "${this.name}" with the new TLS key fingerprint`);
    });
  }

  /** Sends goodbye packets (TTL 0) so browsers drop the service at once, then closes the socket. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const done = () => this.bonjour.destroy(() => resolve());
      // Goodbyes go out unless the socket is already gone; never wait long for them.
      const timer = setTimeout(done, 1000);
      this.bonjour.unpublishAll(() => {
        clearTimeout(timer);
        done();
      });
    });
    return this.stopping;
  }
}

function publish(bonjour: Bonjour, name: string, txt: ZeroconfTxt, o: ZeroconfAdvertiserOptions): Service {
  const service = bonjour.publish({ name, type: ZEROCONF_SERVICE, protocol: ZEROCONF_PROTOCOL, port: o.port, txt });
  service.on("error", (err: unknown) => o.log(`zeroconf: ${(err as Error).message ?? String(err)}`));
  return service;
}
