// Home Assistant's ingress against a real sidecar process listening on a second port for the
// ingress proxy. 127.0.0.0/8 is all loopback, so one test is several machines: 127.0.0.2 plays the
// Supervisor's proxy, 127.0.0.1 the LAN. Ingress headers are believed only from the proxy address
// and only on the ingress port; the API port never reads them; the worker socket is not there.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENTS_SUBPROTOCOL, EVENTS_TICKET_PREFIX, SessionResponse } from "@esphome-forge/shared";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { httpRequest } from "../test-support/http-request.js";
import { rawUpgrade } from "../test-support/raw-websocket.js";

const PROXY = "127.0.0.2";
const LAN = "127.0.0.1";
const INGRESS = {
  "X-Ingress-Path": "/api/hassio_ingress/T0ken_for-this-session",
  "X-Remote-User-Id": "8f2c1a0b9d7e4f60a1b2c3d4e5f60718",
  "X-Remote-User-Name": "ada",
  "X-Remote-User-Display-Name": "Ada",
  "X-Hass-Source": "core.ingress",
  "X-Forwarded-Host": "ha.example.com",
  // The browser's Host passes through both proxies: HA's public name, not one the sidecar knows.
  Host: "ha.example.com",
};

let sc: SidecarProc;
let ingressUrl: string;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "desk" }]);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--ingress-port", "0", "--ingress-host", "127.0.0.1", "--ingress-source", PROXY],
  });
  ingressUrl = (await waitFor(() => /ingress listening on (\S+)/.exec(sc.output()), "the ingress listener"))[1]!;
});
afterAll(async () => {
  await sc?.stop();
});

const ingressGet = (path: string, headers: Record<string, string>, from: string) =>
  httpRequest(ingressUrl, { path, headers, localAddress: from });

describe("the ingress port", () => {
  it("serves the dashboard and the API, without a token, to the proxy naming an HA user", async () => {
    const page = await ingressGet("/", INGRESS, PROXY);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<forge-page>");
    const info = await ingressGet("/api/v1/info", INGRESS, PROXY);
    expect(info.status).toBe(200);
    const session = SessionResponse.parse(JSON.parse((await ingressGet("/api/v1/session", INGRESS, PROXY)).body));
    expect(session).toEqual({
      via: "ingress",
      user: { id: INGRESS["X-Remote-User-Id"], name: "ada", displayName: "Ada" },
    });
    const jobs = await httpRequest(ingressUrl, {
      method: "POST",
      path: "/api/v1/jobs",
      headers: INGRESS,
      localAddress: PROXY,
      body: JSON.stringify({ action: "validate", targets: { devices: ["desk"] }, source: "ha-ingress" }),
    });
    expect(jobs.status).toBe(201);
  });

  it("records a config change under the Home Assistant user the proxy names, whatever X-Forge-User says", async () => {
    const asProxy = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
      httpRequest(ingressUrl, {
        method,
        path,
        headers: { ...INGRESS, ...headers },
        localAddress: PROXY,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const file = JSON.parse((await asProxy("GET", "/api/v1/devices/desk/config")).body) as {
      content: string;
      sha256: string;
    };
    const save = await asProxy(
      "PUT",
      "/api/v1/devices/desk/config",
      { "If-Match": `"${file.sha256}"`, "X-Forge-User": "mallory", "X-Forge-Source": "card" },
      { content: `${file.content}# edited through ingress\n`, validate: false },
    );
    expect(save.status, save.body).toBe(200);
    const history = JSON.parse((await asProxy("GET", "/api/v1/devices/desk/history")).body) as {
      entries: { author: string; source: string | null }[];
    };
    expect(history.entries[0]).toMatchObject({ author: "Ada", source: "card" });
  });

  it("refuses the same headers from any other address, for pages, API and sockets alike", async () => {
    for (const path of ["/", "/api/v1/info", "/api/v1/session", "/api/v1/health"]) {
      const res = await ingressGet(path, INGRESS, LAN);
      expect(res.status, path).toBe(403);
      expect(res.body).toContain("answers only Home Assistant's ingress proxy");
    }
    const ws = await rawUpgrade(ingressUrl, "/api/v1/events", INGRESS, { localAddress: LAN });
    expect(ws.status).toBe(403);
  });

  it("refuses the proxy when it names no ingress path or no user", async () => {
    const { ["X-Remote-User-Id"]: _id, ...noUser } = INGRESS;
    const { ["X-Ingress-Path"]: _path, ...noPath } = INGRESS;
    expect((await ingressGet("/api/v1/info", noUser, PROXY)).status).toBe(403);
    expect((await ingressGet("/", noPath, PROXY)).status).toBe(403);
  });

  it("opens the events socket with a ticket from the HA origin, never another origin, never the worker socket", async () => {
    const ticket = async () => {
      const res = await httpRequest(ingressUrl, {
        method: "POST",
        path: "/api/v1/events/ticket",
        headers: INGRESS,
        localAddress: PROXY,
      });
      expect(res.status).toBe(201);
      return (JSON.parse(res.body) as { ticket: string }).ticket;
    };
    const protocols = async () => `${EVENTS_SUBPROTOCOL}, ${EVENTS_TICKET_PREFIX}${await ticket()}`;
    const ok = await rawUpgrade(
      ingressUrl,
      "/api/v1/events",
      { ...INGRESS, Origin: "https://ha.example.com", "Sec-WebSocket-Protocol": await protocols() },
      { localAddress: PROXY },
    );
    expect(ok.status).toBe(101);
    ok.socket.destroy();
    const otherOrigin = await rawUpgrade(
      ingressUrl,
      "/api/v1/events",
      { ...INGRESS, Origin: "https://evil.example", "Sec-WebSocket-Protocol": await protocols() },
      { localAddress: PROXY },
    );
    expect(otherOrigin.status).toBe(403);
    // The ingress identity does not replace the socket's own credentials.
    const noTicket = await rawUpgrade(
      ingressUrl,
      "/api/v1/events",
      { ...INGRESS, Origin: "https://ha.example.com" },
      { localAddress: PROXY },
    );
    expect(noTicket.status).toBe(401);
    const worker = await rawUpgrade(ingressUrl, "/api/v1/worker", INGRESS, { localAddress: PROXY });
    expect(worker.status).toBe(404);
  });
});

describe("the API port", () => {
  it("ignores ingress headers, even from the proxy's address: a token is still needed", async () => {
    const { Host: _host, ...headers } = INGRESS;
    for (const from of [PROXY, LAN]) {
      const res = await httpRequest(sc.url, { path: "/api/v1/info", headers, localAddress: from });
      expect(res.status, from).toBe(401);
      const session = await httpRequest(sc.url, { path: "/api/v1/session", headers, localAddress: from });
      expect(JSON.parse(session.body)).toEqual({ via: "none", user: null });
    }
    // …and HA's public name is not one the API port answers to.
    expect((await httpRequest(sc.url, { path: "/api/v1/health", headers: { Host: "ha.example.com" } })).status).toBe(
      421,
    );
  });
});
