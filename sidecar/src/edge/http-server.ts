// The server at the edge: one port that speaks TLS to everyone and plain HTTP only to this machine.
// Each connection's first byte decides (a TLS ClientHello starts with 0x16): TLS goes to the HTTPS
// server with the sidecar's certificate; plain HTTP goes to the HTTP server when the peer is on
// loopback (the built-in worker, a reverse proxy on this host, local scripts) or `--insecure-transport`
// allows it, and is otherwise answered 426 with where to go instead — before any request is parsed.
// Both servers share the time limits, the per-client connection cap and the WebSocket upgrade gate.
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import type { ErrorBody } from "@esphome-forge/shared";
import { clientAddress } from "./client-address.js";
import { capConnectionsPerClient } from "./connection-cap.js";
import type { TlsMaterial } from "./tls-material.js";
import type { UpgradeGate } from "./upgrade-gate.js";

export interface EdgeServerOptions {
  /** The whole request (headers and body) must arrive within this time (default 30 s). */
  requestTimeoutMs?: number;
  /** Open TCP connections one client address may hold (default 128). */
  connectionsPerClient?: number;
  tls: TlsMaterial;
  /** Plain HTTP from other machines too (`--insecure-transport`). */
  insecureTransport: boolean;
  log: (msg: string) => void;
}

/** Headers come first and are small: they get at most this long, within the request's limit. */
const HEADERS_TIMEOUT_MS = 10_000;
/** A connection that sends nothing at all is closed after this long. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;
/** The first byte of a TLS record carrying a handshake (ClientHello). */
const TLS_HANDSHAKE = 0x16;
const TLS_MIN_VERSION = "TLSv1.3";

export class EdgeServer {
  private readonly listener: NetServer;
  private readonly plain: HttpServer;
  private readonly secure: HttpsServer;
  private tlsValue: TlsMaterial;

  constructor(
    app: RequestListener,
    gate: UpgradeGate,
    private readonly o: EdgeServerOptions,
  ) {
    const limits = httpLimits(o.requestTimeoutMs);
    this.tlsValue = o.tls;
    this.plain = createHttpServer(limits, app);
    this.secure = createHttpsServer(
      { ...limits, key: o.tls.keyPem, cert: o.tls.certPem, minVersion: TLS_MIN_VERSION },
      app,
    );
    for (const s of [this.plain, this.secure]) s.on("upgrade", gate.handle);
    this.listener = createNetServer((socket) => this.route(socket));
    capConnectionsPerClient(this.listener, o.connectionsPerClient ?? 128, o.log);
  }

  get tls(): TlsMaterial {
    return this.tlsValue;
  }

  /** New connections get the new certificate; established ones keep theirs. */
  setTls(material: TlsMaterial): void {
    this.secure.setSecureContext({ key: material.keyPem, cert: material.certPem, minVersion: TLS_MIN_VERSION });
    this.tlsValue = material;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.listener.once("error", reject);
      this.listener.listen(port, host, () => {
        this.listener.off("error", reject);
        // The two HTTP servers never listen themselves (connections are handed to them), but Node starts
        // their request/header time-limit checks on `listening`: without this, slow clients are never cut.
        for (const s of [this.plain, this.secure]) s.emit("listening");
        resolve(this.listener.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const s of [this.plain, this.secure]) {
      s.close(); // stops their time-limit checks
      s.closeAllConnections();
    }
    this.destroyPending();
    return closed;
  }

  private readonly pending = new Set<Socket>();

  private destroyPending(): void {
    for (const s of this.pending) s.destroy();
  }

  private route(socket: Socket): void {
    if (socket.destroyed) return; // over the per-client cap
    socket.on("error", () => socket.destroy());
    // Small messages (assign, ack, heartbeats) go out at once: a TLS layer on top of this socket would not
    // pass `setNoDelay` down to it, and Nagle plus delayed ACKs cost ~40 ms per exchange.
    socket.setNoDelay(true);
    this.pending.add(socket);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once("close", () => this.pending.delete(socket));
    socket.once("data", (chunk: Buffer) => {
      this.pending.delete(socket);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE) {
        this.secure.emit("connection", socket);
        return;
      }
      const addr = clientAddress(socket);
      if (!this.o.insecureTransport && !isLoopback(addr)) return this.refusePlain(socket, addr);
      this.plain.emit("connection", socket);
      // The HTTP server reads from the socket's handle; the byte read here is delivered through the stream.
      socket.resume();
    });
  }

  private refusePlain(socket: Socket, addr: string): void {
    const local = socket.localAddress ?? "this-host";
    const host = local.includes(":") ? `[${local.replace(/^::ffff:/, "")}]` : local;
    const message =
      `this sidecar speaks plain HTTP only to its own machine; ${addr} must use https://${host}:${socket.localPort} ` +
      `(pin the key sha256 ${this.tlsValue.fingerprint}; workers: run the command \`esphome-forge worker pair\` prints)`;
    const body = JSON.stringify({ error: { code: "tls_required", message } } satisfies ErrorBody);
    socket.once("finish", () => socket.destroy());
    socket.end(
      [
        "HTTP/1.1 426 Upgrade Required",
        "Upgrade: TLS/1.3",
        "Connection: Upgrade, close",
        "Content-Type: application/json; charset=utf-8",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "",
        body,
      ].join("\r\n"),
    );
  }
}

/** Time limits for slow clients, shared by every HTTP server at the edge. */
function httpLimits(requestTimeoutMs: number | undefined) {
  const requestTimeout = requestTimeoutMs ?? 30_000;
  return {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    // Node checks the two limits above on this interval (default 30 s, which would let a slow
    // client hold a request for up to a minute): check every second.
    connectionsCheckingInterval: 1000,
    // A keep-alive connection with nothing to do is closed after this long.
    keepAliveTimeout: 5000,
  };
}

/**
 * A plain-HTTP server with the edge's time limits, connection cap and upgrade gate, for a listener whose
 * peer is screened otherwise: the add-on's ingress port answers only Home Assistant's proxy (api/ingress-server.ts).
 */
export function createPlainServer(
  app: RequestListener,
  gate: UpgradeGate,
  o: Pick<EdgeServerOptions, "requestTimeoutMs" | "connectionsPerClient" | "log">,
): HttpServer {
  const server = createHttpServer(httpLimits(o.requestTimeoutMs), app);
  capConnectionsPerClient(server, o.connectionsPerClient ?? 128, o.log);
  server.on("upgrade", gate.handle);
  return server;
}

/** 127.0.0.0/8 and ::1 (IPv4-mapped addresses arrive normalised by clientAddress). */
export function isLoopback(addr: string): boolean {
  return addr === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(addr);
}

/** True when the listen address reaches only this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || isLoopback(host.replace(/^\[|\]$/g, ""));
}
