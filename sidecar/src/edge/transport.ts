// How the sidecar is reached: TLS with its own key (or the user's certificate) on every address,
// plain HTTP from this machine only unless `--insecure-transport` says otherwise. This module knows
// the listen address and the current TLS material, and answers the questions others ask about it:
// the URL to print, where the built-in worker connects, what a join link names, whether the
// transport is a problem to report, and how to rotate the key.
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import type { HealthProblem, TlsInfo } from "@esphome-forge/shared";
import type { EdgeServer } from "./http-server.js";
import { isLoopbackHost } from "./http-server.js";
import { rotateTlsMaterial, type TlsMaterial } from "./tls-material.js";

export class SidecarTransport {
  private readonly since = new Date().toISOString();
  private readonly rotationListeners: ((fingerprint: string) => void)[] = [];

  constructor(
    private readonly edge: EdgeServer,
    private readonly addr: AddressInfo,
    private readonly o: { insecureTransport: boolean; keysDir: string; log: (msg: string) => void },
  ) {}

  get tls(): TlsMaterial {
    return this.edge.tls;
  }

  /** Listening only where this machine alone can connect (127.0.0.1, ::1). */
  get loopbackOnly(): boolean {
    return isLoopbackHost(this.addr.address);
  }

  /** The URL printed at start: plain on loopback (local tools), https where others connect. */
  url(): string {
    const host = this.addr.family === "IPv6" ? `[${this.addr.address}]` : this.addr.address;
    const scheme = this.loopbackOnly ? "http" : "https";
    return `${scheme}://${host}:${this.addr.port}`;
  }

  /**
   * Where the built-in worker connects: plain over loopback when the listener reaches it (its token never
   * leaves the machine), else over TLS to the listen address, pinning the sidecar's own key.
   */
  localWorkerServer(): { url: string; fingerprint: string | null } {
    const a = this.addr.address;
    if (a === "0.0.0.0" || a === "::" || this.loopbackOnly) {
      const host = a === "::" ? "[::1]" : a === "0.0.0.0" ? "127.0.0.1" : this.addr.family === "IPv6" ? `[${a}]` : a;
      return { url: `http://${host}:${this.addr.port}`, fingerprint: null };
    }
    const host = this.addr.family === "IPv6" ? `[${a}]` : a;
    return { url: `https://${host}:${this.addr.port}`, fingerprint: this.tls.fingerprint };
  }

  /** What a join link names: the given host, else the listen address (a LAN address when it listens on all). */
  pairingAddress(host?: string): { host: string; port: number; fingerprint: string | null } {
    const a = this.addr.address;
    const chosen = host ?? (a === "0.0.0.0" || a === "::" ? lanAddress() : a);
    return {
      host: chosen,
      port: this.addr.port,
      fingerprint: this.tls.mode === "self-signed" ? this.tls.fingerprint : null,
    };
  }

  info(): TlsInfo {
    const t = this.tls;
    return {
      mode: t.mode,
      fingerprint: t.fingerprint,
      notAfter: t.notAfter,
      insecureTransport: this.o.insecureTransport,
    };
  }

  /** `--insecure-transport` beyond loopback: tokens and secrets may cross the network in the clear. */
  problem(): HealthProblem | null {
    if (!this.o.insecureTransport || this.loopbackOnly) return null;
    return {
      code: "insecure_transport",
      message:
        "started with --insecure-transport: workers and clients on other machines may use plain HTTP, so worker tokens and the secrets builds need can cross the network in the clear; restart without it and pair workers over TLS",
      since: this.since,
    };
  }

  /** Called with the new fingerprint after each rotation (the zeroconf advertisement carries it). */
  onRotated(listener: (fingerprint: string) => void): void {
    this.rotationListeners.push(listener);
  }

  /**
   * A new self-signed key. `announce` runs first (connected workers add the new fingerprint to their pins);
   * then new connections get the new certificate. A user's own certificate is rotated by replacing its files.
   */
  rotate(announce: (fingerprint: string) => void): TlsInfo {
    if (this.tls.mode !== "self-signed")
      throw new Error("the sidecar serves your own certificate (--tls-cert); replace its files and restart instead");
    const previous = this.tls.fingerprint;
    const next = rotateTlsMaterial(this.o.keysDir);
    announce(next.fingerprint);
    this.edge.setTls(next);
    for (const listener of this.rotationListeners) listener(next.fingerprint);
    this.o.log(`TLS key rotated: fingerprint ${previous} → ${next.fingerprint}`);
    return this.info();
  }
}

/** The first non-internal IPv4 address, for a join link when listening on every address. */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (i.family === "IPv4" && !i.internal) return i.address;
  return "127.0.0.1";
}
