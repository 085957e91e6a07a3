// A TCP relay on loopback that records every byte in both directions: what someone on the network
// path between a worker and the sidecar would see. Tests search the capture for secrets and tokens.
import { createServer, connect, type Server, type Socket } from "node:net";

export interface RecordingProxy {
  port: number;
  /** Everything relayed so far, both directions, in arrival order. */
  captured(): Buffer;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: { host: string; port: number }): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on("data", (b: Buffer) => {
        chunks.push(Buffer.from(b));
        to.write(b);
      });
      from.on("end", () => to.end());
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    captured: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
