// Refusing a WebSocket upgrade with a plain HTTP answer, before any WebSocket exists: the client
// (a worker, `ws`, a browser) sees the status, and the JSON body says why in the API's error shape.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorBody } from "@esphome-forge/shared";

export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: ErrorBody["error"]["code"],
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  // Whatever the client sends after this (frames it hoped to send on an open socket) is never read.
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}
