// One state change usually produces several events in the same tick (a finished job updates the
// job, its device and its worker). Each WebSocket send is its own write system call; corking the
// client's socket until the tick ends sends them together (the pattern Node documents for
// `writable.cork()`). `ws` keeps the socket private, so this degrades to plain sends without it.
import type { Socket } from "node:net";
import type { WebSocket } from "ws";

const corked = new WeakSet<Socket>();

/**
 * `text` as a string, or as UTF-8 bytes already encoded (sent as a text frame all the same), or as such
 * bytes in parts: one message in as many frames (WebSocket fragmentation; clients see one message), so a
 * large one is never copied into a single buffer first.
 */
export function sendCorked(ws: WebSocket, text: string | Buffer | Buffer[]): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (socket && typeof socket.cork === "function" && !corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    process.nextTick(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  if (typeof text === "string") ws.send(text);
  else if (Buffer.isBuffer(text)) ws.send(text, { binary: false });
  else text.forEach((part, i) => ws.send(part, { binary: false, fin: i === text.length - 1 }));
}
