// A small stand-in for Home Assistant's ingress path (HA core's /api/hassio_ingress view plus the
// Supervisor's proxy), for browser tests: requests under /api/hassio_ingress/<token>/ lose that
// prefix and go to the sidecar's ingress listener from the proxy's own address, with the headers
// the real proxies add (X-Ingress-Path, X-Hass-Source, X-Forwarded-*, the HA user) and without
// the user headers a browser might try to send itself. WebSocket upgrades are forwarded the same
// way and then piped. Anything outside the prefix is HA's business: 404.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";

export interface IngressUserHeaders {
  id: string;
  name: string;
  displayName: string;
}

export interface IngressProxy {
  /** The URL a browser opens: http://127.0.0.1:PORT/api/hassio_ingress/TOKEN/ */
  panelUrl: string;
  prefix: string;
  /** Paths the proxy forwarded, as the sidecar saw them. */
  forwarded: string[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);
const FROM_PROXY_ONLY = ["x-remote-user-id", "x-remote-user-name", "x-remote-user-display-name", "x-supervisor-token"];

export async function startIngressProxy(o: {
  target: string;
  /** The address the proxy connects from (the sidecar's --ingress-source). */
  sourceAddress: string;
  token: string;
  user: IngressUserHeaders;
}): Promise<IngressProxy> {
  const prefix = `/api/hassio_ingress/${o.token}`;
  const target = new URL(o.target);
  const forwarded: string[] = [];

  const rewrite = (req: IncomingMessage): { path: string; headers: IncomingHttpHeaders } | null => {
    if (!req.url?.startsWith(`${prefix}/`)) return null;
    const path = req.url.slice(prefix.length);
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!FROM_PROXY_ONLY.includes(k)) headers[k] = v;
    }
    const peer = req.socket.remoteAddress ?? "";
    Object.assign(headers, {
      "x-hass-source": "core.ingress",
      "x-ingress-path": prefix,
      "x-forwarded-for": peer,
      "x-forwarded-host": req.headers.host ?? "",
      "x-forwarded-proto": "http",
      "x-remote-user-id": o.user.id,
      "x-remote-user-name": o.user.name,
      // HA sends UTF-8; node writes header strings as Latin-1.
      "x-remote-user-display-name": Buffer.from(o.user.displayName, "utf8").toString("latin1"),
    });
    forwarded.push(path);
    return { path, headers };
  };

  const server: Server = createServer((req, res) => {
    const to = rewrite(req);
    if (!to) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not an ingress path");
      return;
    }
    for (const h of HOP_BY_HOP) delete to.headers[h];
    const up = request(
      {
        host: target.hostname,
        port: Number(target.port),
        method: req.method,
        path: to.path,
        headers: to.headers,
        localAddress: o.sourceAddress,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on("error", () => res.headersSent || res.writeHead(502).end());
    req.pipe(up);
  });

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    const to = rewrite(req);
    if (!to) return socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
    const upstream = connect({ host: target.hostname, port: Number(target.port), localAddress: o.sourceAddress });
    upstream.on("error", () => socket.destroy());
    upstream.once("connect", () => {
      const lines = [`GET ${to.path} HTTP/1.1`];
      for (const [k, v] of Object.entries(to.headers)) {
        for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) lines.push(`${k}: ${one}`);
      }
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    socket.once("close", () => upstream.destroy());
    upstream.once("close", () => socket.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    panelUrl: `http://127.0.0.1:${port}${prefix}/`,
    prefix,
    forwarded,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
