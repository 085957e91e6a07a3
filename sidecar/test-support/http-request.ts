// HTTP requests with what fetch() does not allow: a chosen source address (so one test can be
// several clients: 127.0.0.0/8 is all loopback), any Host header, and slow or partial writes.
import { request } from "node:http";
import { connect, type Socket } from "node:net";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpRequest(
  url: string,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string; localAddress?: string },
): Promise<HttpAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port: Number(port),
        method: o.method ?? "GET",
        path: o.path,
        headers: { ...(o.body !== undefined ? { "content-type": "application/json" } : {}), ...o.headers },
        localAddress: o.localAddress,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(o.body);
  });
}

export interface SlowClient {
  socket: Socket;
  /** Everything the server sent back. */
  received: () => string;
  /** Bytes of the request written so far. */
  sent: () => number;
  closed: Promise<void>;
}

/**
 * Sends `o.now` at once, then `o.drip` one byte every `o.everyMs` (slowloris), stopping when the
 * server closes the connection. Returns at once with a handle.
 */
export function dripRequest(
  url: string,
  o: { now?: string; drip: string; everyMs: number; localAddress?: string },
): SlowClient {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress: o.localAddress });
  let received = "";
  let sent = 0;
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (received += d));
  socket.on("error", () => undefined);
  socket.once("connect", () => {
    if (o.now) socket.write(o.now);
    sent += o.now?.length ?? 0;
  });
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || i >= o.drip.length) return clearInterval(timer);
    socket.write(o.drip[i++]!);
    sent++;
  }, o.everyMs);
  void closed.then(() => clearInterval(timer));
  return { socket, received: () => received, sent: () => sent, closed };
}
