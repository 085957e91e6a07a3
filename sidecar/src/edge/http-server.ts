// The HTTP server at the edge: time limits for slow clients, the per-client connection cap, and
// WebSocket upgrades through the gate.
import { createServer, type RequestListener, type Server } from "node:http";
import { capConnectionsPerClient } from "./connection-cap.js";
import type { UpgradeGate } from "./upgrade-gate.js";

export interface EdgeServerOptions {
  /** The whole request (headers and body) must arrive within this time (default 30 s). */
  requestTimeoutMs?: number;
  /** Open TCP connections one client address may hold (default 128). */
  connectionsPerClient?: number;
  log: (msg: string) => void;
}

/** Headers come first and are small: they get at most this long, within the request's limit. */
const HEADERS_TIMEOUT_MS = 10_000;

export function createEdgeServer(app: RequestListener, gate: UpgradeGate, o: EdgeServerOptions): Server {
  const requestTimeout = o.requestTimeoutMs ?? 30_000;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      // Node checks the two limits above on this interval (default 30 s, which would let a slow
      // client hold a request for up to a minute): check every second.
      connectionsCheckingInterval: 1000,
      // A keep-alive connection with nothing to do is closed after this long.
      keepAliveTimeout: 5000,
    },
    app,
  );
  capConnectionsPerClient(server, o.connectionsPerClient ?? 128, o.log);
  server.on("upgrade", gate.handle);
  return server;
}
