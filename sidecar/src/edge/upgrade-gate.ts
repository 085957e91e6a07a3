// Every WebSocket upgrade passes here before a WebSocket exists, so no unauthenticated socket is
// ever opened and no frame from an unknown client is ever parsed. In order: the listener's screen
// (the Host header on the API port, the proxy check on the ingress port), the path, the Origin
// (browsers), the bad-token limiter, the endpoint's per-client cap, then the credentials. Each refusal is a plain HTTP answer with a reason; only an accepted request is
// handed to the endpoint, which attaches an error handler to the socket before anything else.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorBody } from "@esphome-forge/shared";
import { clientAddress } from "./client-address.js";
import type { FailureLimiter } from "./failure-limiter.js";
import type { HostPolicy } from "./host-policy.js";
import { refuseUpgrade } from "./upgrade-refusal.js";

export type UpgradeAuth<P> =
  | { ok: true; principal: P }
  /** `presented`: the request carried credentials (a wrong token counts against the client). */
  | { ok: false; presented: boolean; message: string };

export interface UpgradeEndpoint<P = unknown> {
  /** Null when this client address may open another socket here; else why not. */
  admit?(addr: string): string | null;
  authenticate(req: IncomingMessage): UpgradeAuth<P>;
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, principal: P, addr: string): void;
}

export interface UpgradeRefusal {
  status: number;
  code: ErrorBody["error"]["code"];
  message: string;
}

/** Which requests a listener answers at all, and which browser origins may open a socket on it. */
export interface UpgradeScreen {
  admit(req: IncomingMessage): UpgradeRefusal | null;
  originAllowed(req: IncomingMessage): boolean;
  /** Said when an Origin is refused. */
  readonly originHint: string;
}

/** The API port's screen: the Host allow-list (DNS rebinding) and the sidecar's own origin. */
export function hostScreen(hosts: HostPolicy): UpgradeScreen {
  return {
    admit: (req) =>
      hosts.hostAllowed(req.headers.host)
        ? null
        : { status: 421, code: "misdirected_request", message: hostMessage(req.headers.host) },
    originAllowed: (req) => hosts.originAllowed(req.headers.origin, req.headers.host),
    originHint: "allow a reverse proxy's origin with --allowed-origins",
  };
}

export interface UpgradeGateOptions {
  /** By path. (Methods are checked bivariantly, so any endpoint fits `unknown` here.) */
  endpoints: Record<string, UpgradeEndpoint<unknown>>;
  screen: UpgradeScreen;
  limiter: FailureLimiter;
  log: (msg: string) => void;
}

export class UpgradeGate {
  constructor(private readonly o: UpgradeGateOptions) {}

  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node drops its own error handler from an upgraded socket: without one, a reset kills the process.
    socket.on("error", () => socket.destroy());
    const addr = clientAddress(req.socket);
    const path = (req.url ?? "").split("?")[0]!;
    const refusal = this.o.screen.admit(req);
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.code, refusal.message);
    const endpoint = Object.hasOwn(this.o.endpoints, path) ? this.o.endpoints[path] : undefined;
    if (!endpoint) return refuseUpgrade(socket, 404, "not_found", `no WebSocket endpoint at ${path}`);
    if (!this.o.screen.originAllowed(req))
      return refuseUpgrade(
        socket,
        403,
        "forbidden",
        `origin ${req.headers.origin} may not open this socket; ${this.o.screen.originHint}`,
      );
    const wait = this.o.limiter.retryAfterSeconds(addr);
    if (wait > 0)
      return refuseUpgrade(socket, 429, "too_many_requests", `too many wrong tokens from ${addr}; retry in ${wait} s`, {
        "Retry-After": String(wait),
      });
    const full = endpoint.admit?.(addr);
    if (full) return refuseUpgrade(socket, 429, "too_many_requests", full, { "Retry-After": "5" });
    const auth = endpoint.authenticate(req);
    if (!auth.ok) {
      if (auth.presented) this.o.limiter.fail(addr);
      return refuseUpgrade(socket, 401, "unauthorized", auth.message);
    }
    endpoint.accept(req, socket, head, auth.principal, addr);
  };
}

export function hostMessage(host: string | undefined): string {
  return `this sidecar does not answer to the host name ${JSON.stringify(host ?? "")}; add it with --allowed-hosts`;
}
