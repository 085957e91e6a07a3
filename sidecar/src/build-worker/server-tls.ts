// How a worker trusts the sidecar it talks to, for the WebSocket and for REST alike:
// - `pin`: the sidecar's own key, pinned by its SHA-256 (SPKI) fingerprint from the join link — no CA,
//   no trust on first use. The check runs when the TLS handshake completes, before the worker writes a
//   single byte (its token, its upgrade request): a server with another key gets nothing.
// - `ca`: the user's own certificate (a reverse proxy, a public name): normal CA and host name checks.
// - `plain`: http:// — only to this machine, or with `--insecure-transport`.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { keyFingerprint } from "../trust/keys/keys.js";

export type ServerTrust = { kind: "pin"; pins: string[] } | { kind: "ca" } | { kind: "plain" };

export class PinMismatchError extends Error {
  readonly code = "PIN_MISMATCH";
}

/** Decides how to trust `server` (an http(s) URL) given the pins the worker holds. */
export function serverTrustFor(server: string, pins: string[], insecureTransport: boolean): ServerTrust {
  const u = new URL(server);
  if (u.protocol === "https:" || u.protocol === "wss:") return pins.length ? { kind: "pin", pins } : { kind: "ca" };
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const local = host === "localhost" || host === "::1" || /^127\./.test(host) || host === "0.0.0.0";
  if (!local && !insecureTransport)
    throw new Error(
      `${server} is plain HTTP to another machine: worker tokens and build secrets would cross the network in the clear. Pair the worker (esphome-forge worker pair on the sidecar, then worker join), use https:// with --server-fingerprint, or accept the risk with --insecure-transport`,
    );
  return { kind: "plain" };
}

/** What each socket's peer presented: Node hands out the peer certificate once, so it is read once and kept. */
const presented = new WeakMap<TLSSocket, string>();

/** The fingerprint of the key a TLS peer presented (null before the handshake). */
export function peerFingerprint(socket: TLSSocket): string | null {
  const known = presented.get(socket);
  if (known) return known;
  const cert = socket.getPeerX509Certificate();
  if (!cert) return null;
  const fp = keyFingerprint(cert.publicKey);
  presented.set(socket, fp);
  return fp;
}

/**
 * A TLS socket to the sidecar. With pins, the certificate chain is not judged by any CA: the key is
 * compared with the pins as the handshake completes, and a mismatch destroys the socket before anything
 * written to it is sent (Node holds writes until `secureConnect` has been handled).
 */
export function connectTls(opts: ConnectionOptions, trust: ServerTrust): TLSSocket {
  if (trust.kind !== "pin") return tlsConnect({ ...opts, minVersion: "TLSv1.2" });
  const socket = tlsConnect({ ...opts, rejectUnauthorized: false });
  socket.once("secureConnect", () => {
    const got = peerFingerprint(socket);
    if (got && trust.pins.includes(got)) return;
    const where = `${opts.host ?? "?"}:${opts.port ?? "?"}`;
    socket.destroy(
      new PinMismatchError(
        `the server at ${where} presents TLS key sha256 ${got ?? "(none)"}, but this worker pinned ${trust.pins.join(" or ")}: it is not the sidecar this worker was paired with (a machine in between, or another sidecar). Nothing was sent. If the sidecar's key was rotated while this worker was away, pair it again`,
      ),
    );
  });
  return socket;
}

/** `createConnection` for ws and http(s).request: the socket the trust asks for. */
export function connectionFor(trust: ServerTrust): (opts: ConnectionOptions & { host?: string }) => Socket {
  return (opts) => {
    if (trust.kind === "plain") return netConnect(opts as Parameters<typeof netConnect>[0]);
    const host = (opts.host ?? "").replace(/^\[|\]$/g, "");
    // SNI carries names only; an IP literal is sent without it. No Nagle: the link carries small messages.
    const socket = connectTls({ ...opts, host, servername: isIP(host) ? "" : (opts.servername ?? host) }, trust);
    socket.setNoDelay(true);
    return socket;
  };
}

/** One HTTP request through the trusted connection; resolves with the response (body not read yet). */
export function requestTrusted(
  url: URL,
  o: { method: string; headers?: Record<string, string>; body?: Buffer | string; signal?: AbortSignal },
  trust: ServerTrust,
): Promise<IncomingMessage> {
  const make = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      url,
      {
        method: o.method,
        headers: o.headers,
        signal: o.signal,
        // No agent: Node then opens the connection with this function (an agent would use its own).
        createConnection: connectionFor(trust) as never,
      },
      resolve,
    );
    req.on("error", reject);
    req.end(o.body);
  });
}

export async function readBody(res: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error(`response larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A connection to `url` that has passed the trust checks (TLS: handshake done and pin matched). */
export function openTrusted(url: URL, trust: ServerTrust): Promise<Socket> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const socket = connectionFor(trust)({ host: url.hostname, port });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once(trust.kind === "plain" ? "connect" : "secureConnect", () => {
      // A pin mismatch destroys the socket in its own secureConnect handler, which ran first.
      if (socket.destroyed) return;
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** One request on a connection opened with openTrusted. */
export function requestOn(
  socket: Socket,
  url: URL,
  o: { method: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<IncomingMessage> {
  const make = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(url, { method: o.method, headers: o.headers, createConnection: () => socket }, resolve);
    req.on("error", reject);
    req.end(o.body);
  });
}
