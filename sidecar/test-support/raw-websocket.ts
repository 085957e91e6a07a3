// A WebSocket client written on a raw TCP socket, for the edge tests: it performs the HTTP
// upgrade by hand and writes frames byte by byte, including frames no WebSocket library would
// send (bad opcodes, reserved bits, invalid UTF-8, fragmented control frames, lying lengths).
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface RawUpgrade {
  socket: Socket;
  /** Status line code of the answer to the upgrade (101 when it was accepted). */
  status: number;
  /** Header block and any body bytes of a refusal, as text. */
  response: string;
  /** Bytes received after the 101 answer (frames), growing while the socket is open. */
  frames: () => Buffer;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

/**
 * Opens a TCP connection and sends an upgrade request. Resolves at the 101 answer, or, for a
 * refusal, once the server closed the connection (so the whole answer is in `response`).
 */
export function rawUpgrade(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  opts: { localAddress?: string } = {},
): Promise<RawUpgrade> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress: opts.localAddress });
    let buf = Buffer.alloc(0);
    let headerEnd = -1;
    let status = 0;
    let settled = false;
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("error", () => undefined); // a reset after a refusal is expected
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (headerEnd < 0) {
        headerEnd = buf.indexOf("\r\n\r\n");
        if (headerEnd < 0) return;
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString("latin1"))?.[1] ?? 0);
        if (status === 101) finish();
      }
    });
    socket.once("close", () => finish());
    const finish = () => {
      if (settled) return;
      settled = true;
      if (headerEnd < 0) return reject(new Error(`connection closed before an answer: ${buf.toString("latin1")}`));
      resolve({
        socket,
        status,
        response: buf.toString("utf8"),
        frames: () => buf.subarray(headerEnd + 4),
        closed,
      });
    };
    socket.once("connect", () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${headers.Host ?? `${hostname}:${port}`}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
        "Sec-WebSocket-Version: 13",
        ...Object.entries(headers)
          .filter(([k]) => k !== "Host")
          .map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(lines.join("\r\n") + "\r\n\r\n");
    });
  });
}

export interface FrameOptions {
  fin?: boolean;
  rsv?: number; // 0..7, bits RSV1..RSV3
  opcode: number;
  payload?: Buffer | string;
  masked?: boolean;
  /** Announce this length instead of the payload's (a lying or absurd length). */
  announcedLength?: bigint;
}

/** One client frame, masked unless `masked: false`. */
export function frame(o: FrameOptions): Buffer {
  const payload = typeof o.payload === "string" ? Buffer.from(o.payload) : (o.payload ?? Buffer.alloc(0));
  const masked = o.masked ?? true;
  const len = o.announcedLength ?? BigInt(payload.length);
  const first = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | (o.opcode & 0x0f);
  let head: Buffer;
  if (len < 126n) head = Buffer.from([first, (masked ? 0x80 : 0) | Number(len)]);
  else if (len < 65536n) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 126;
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(len, 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([head, key, body]);
}

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The close code of the first close frame the server sent, or null when there was none. */
export function serverCloseCode(frames: Buffer): number | null {
  let i = 0;
  while (i + 2 <= frames.length) {
    const opcode = frames[i]! & 0x0f;
    let len = frames[i + 1]! & 0x7f;
    let off = i + 2;
    if (len === 126) {
      if (off + 2 > frames.length) return null;
      len = frames.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (off + 8 > frames.length) return null;
      len = Number(frames.readBigUInt64BE(off));
      off += 8;
    }
    if (opcode === OP.close) return len >= 2 && off + 2 <= frames.length ? frames.readUInt16BE(off) : 1005;
    i = off + len;
  }
  return null;
}
