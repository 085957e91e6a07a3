// At most N open TCP connections per client address, whatever they are doing: requests being
// sent slowly, keep-alive connections, WebSockets. One client cannot hold every file descriptor
// of the sidecar with half-sent requests; connections beyond the cap are closed at once.
import type { Server, Socket } from "node:net";
import { clientAddress } from "./client-address.js";

export function capConnectionsPerClient(server: Server, max: number, log: (msg: string) => void): void {
  const open = new Map<string, number>();
  let lastLogged = 0;
  server.on("connection", (socket: Socket) => {
    const addr = clientAddress(socket);
    const n = open.get(addr) ?? 0;
    if (n >= max) {
      if (Date.now() - lastLogged > 60_000) {
        lastLogged = Date.now();
        log(`refusing connections from ${addr}: it already holds ${max} (further refusals this minute not logged)`);
      }
      socket.destroy();
      return;
    }
    open.set(addr, n + 1);
    socket.once("close", () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left > 0) open.set(addr, left);
      else open.delete(addr);
    });
  });
}
