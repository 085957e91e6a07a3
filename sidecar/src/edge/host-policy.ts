// Which Host and Origin headers the sidecar answers to.
//
// Host (DNS rebinding): a page on an attacker's domain that re-resolves that domain to this
// machine still sends its own domain as Host. The attacker needs a name they can register on the
// public internet, so a request is answered when Host is an IP literal, a name without a dot (a
// container or LAN name: `forge`, `homeassistant`), a name under a suffix nobody can register
// (`.localhost`, `.local`, `.home.arpa`, `.internal`, and `.lan` as routers use it), this
// machine's host name, or one of `--allowed-hosts` (`*.example.com` matches sub-domains; `*`
// turns the check off).
//
// Origin (WebSocket upgrades): browsers send it, HA's integration, the CLI and workers do not. A
// browser socket is accepted only from the sidecar's own origin (the Origin's host equals the
// request's Host, which passed the check above) or from `--allowed-origins` (a reverse proxy that
// rewrites Host).
import { isIP } from "node:net";
import { hostname } from "node:os";

export interface HostPolicyOptions {
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  /** This machine's name (default os.hostname()). */
  machineName?: string;
}

export class HostPolicy {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [".localhost", ".local", ".home.arpa", ".internal", ".lan"];
  private readonly anyHost: boolean;
  private readonly origins: Set<string>;

  constructor(o: HostPolicyOptions = {}) {
    const machine = normalName(o.machineName ?? hostname());
    if (machine) this.exact.add(machine);
    this.anyHost = (o.allowedHosts ?? []).includes("*");
    for (const raw of o.allowedHosts ?? []) {
      const name = normalName(raw);
      if (name.startsWith("*.")) this.suffixes.push(name.slice(1));
      else if (name && name !== "*") this.exact.add(name);
    }
    this.origins = new Set((o.allowedOrigins ?? []).map(normalOrigin).filter((x): x is string => x !== null));
  }

  /** The Host header (with or without port) names this sidecar. */
  hostAllowed(hostHeader: string | undefined): boolean {
    if (this.anyHost) return true;
    const host = hostOf(hostHeader);
    if (host === null) return false;
    if (isIP(host) !== 0 || !host.includes(".")) return true;
    return this.exact.has(host) || this.suffixes.some((s) => host.endsWith(s) && host.length > s.length);
  }

  /** No Origin (not a browser) or the sidecar's own origin, or an allowed one. */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    const normal = normalOrigin(origin);
    if (normal === null) return false;
    if (this.origins.has(normal)) return true;
    const host = hostOf(hostHeader);
    if (host === null) return false;
    // Ports compare as written: a Host without a port matches an origin on its scheme's default
    // port (http://x or https://x behind a TLS proxy that keeps Host).
    const own = new URL(`http://${hostHeader}`);
    const from = new URL(normal);
    return normalName(from.hostname.replace(/^\[|\]$/g, "")) === host && from.port === own.port;
  }
}

function normalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/** `example.com:7052` → `example.com`; `[::1]:7052` → `::1`; null when it is not a host. */
function hostOf(header: string | undefined): string | null {
  if (!header) return null;
  try {
    const url = new URL(`http://${header}`);
    if (url.username || url.password || url.pathname !== "/" || url.search) return null;
    return normalName(url.hostname.replace(/^\[|\]$/g, ""));
  } catch {
    return null;
  }
}

/** `https://Example.com:443/` → `https://example.com`; null for `null` and non-http(s) origins. */
function normalOrigin(origin: string): string | null {
  try {
    const url = new URL(origin.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.origin;
  } catch {
    return null;
  }
}
