// A stand-in for the Home Assistant Supervisor's API as an add-on sees it (http://supervisor):
// the add-on's own info and the discovery endpoint, behind the add-on's SUPERVISOR_TOKEN, with the
// Supervisor's {"result": "ok", "data": …} envelope. It can refuse the first calls (busy at boot).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSupervisor {
  url: string;
  token: string;
  /** Discovery messages received, in order. */
  discoveries: { service: string; config: Record<string, unknown> }[];
  /** Calls answered with 502 before the real answers start. */
  failFirst: number;
  close(): Promise<void>;
}

export async function startFakeSupervisor(info: Record<string, unknown>): Promise<FakeSupervisor> {
  const fake = { token: "supervisor-token-for-tests", discoveries: [], failFirst: 0 } as unknown as FakeSupervisor;
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${fake.token}`)
      return reply(401, { result: "error", message: "Unauthorized" });
    if (fake.failFirst > 0) {
      fake.failFirst--;
      return reply(502, { result: "error", message: "System is not ready with state: setup" });
    }
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.method === "GET" && req.url === "/addons/self/info") return reply(200, { result: "ok", data: info });
      if (req.method === "POST" && req.url === "/discovery") {
        const msg = JSON.parse(body) as FakeSupervisor["discoveries"][number];
        if (msg.service !== "esphome_forge")
          return reply(403, {
            result: "error",
            message: "Add-ons must list services they provide via discovery in their config!",
          });
        fake.discoveries.push(msg);
        return reply(200, { result: "ok", data: { uuid: `uuid-${fake.discoveries.length}` } });
      }
      reply(404, { result: "error", message: "not found" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}
