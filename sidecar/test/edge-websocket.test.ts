// The WebSocket edge against a real sidecar, with frames written by hand on raw TCP sockets: no
// socket exists before authentication, malformed frames close only their own socket (with the
// standard close code) while the process and every other client carry on, browsers need a
// single-use ticket and the sidecar's own origin, and one address cannot hold unlimited sockets.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENTS_SUBPROTOCOL, EventsTicketResponse, eventsProtocols } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  pidAlive,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { frame, OP, rawUpgrade, serverCloseCode, type RawUpgrade } from "../test-support/raw-websocket.js";

let sc: SidecarProc;
let api: Api;
let watcher: EventsClient;
let worker: ProcHandle;
let workerToken: string;
const opened: RawUpgrade[] = [];
const PROXY_ORIGIN = "https://forge.example.com";

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "desk" }, { id: "porch" }]);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--allowed-origins", PROXY_ORIGIN],
    env: { FORGE_EVENTS_MAX_PER_CLIENT: "4" },
  });
  api = new Api(sc.url, sc.token);
  workerToken = (await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "real" })).secret;
  worker = startWorker({ url: sc.url, token: workerToken, name: "real", slots: 1 });
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "the real worker online",
  );
  watcher = new EventsClient(sc.url, sc.token);
  await waitFor(() => watcher.of("snapshot").length, "watcher snapshot");
});
afterAll(async () => {
  for (const r of opened) r.socket.destroy();
  watcher?.close();
  await worker?.stop();
  await sc?.stop();
});

const upgrade = async (path: string, headers: Record<string, string> = {}, localAddress?: string) => {
  const r = await rawUpgrade(sc.url, path, headers, { localAddress });
  opened.push(r);
  return r;
};
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const ticket = async () => {
  const res = await api.raw("POST", "/events/ticket");
  expect(res.status).toBe(201);
  return EventsTicketResponse.parse(await res.json()).ticket;
};

/** The process is up and every client still gets events: a job runs and the watcher sees it end. */
async function everyoneCarriesOn(device: string): Promise<void> {
  expect(pidAlive(sc.proc.pid!)).toBe(true);
  expect(sc.proc.exitCode).toBeNull();
  expect((await fetch(`${sc.url}/api/v1/health`)).status).toBe(200);
  const id = (await api.createJobs({ action: "compile", targets: { devices: [device] } })).jobs[0]!.jobId;
  await waitFor(
    () => watcher.of("job").some((e) => e.id === id && e.job?.state === "succeeded"),
    "the watcher sees a new job succeed",
    60_000,
  );
  expect(watcher.closed).toBeNull();
}

describe("no WebSocket before authentication", () => {
  it("refuses an events upgrade without credentials with 401; the 70 kB frame a web page would send next does nothing", async () => {
    const r = await upgrade("/api/v1/events");
    // What `new WebSocket(…)` then `send(70 kB)` does (it killed the process while sockets opened
    // before authentication and had no error handler).
    r.socket.write(frame({ opcode: OP.text, payload: "x".repeat(70_000) }));
    await r.closed;
    await everyoneCarriesOn("desk");
    expect(r.status).toBe(401);
    expect(r.response).toContain("Authorization: Bearer");
  });

  it("refuses a wrong admin token at the upgrade", async () => {
    const r = await upgrade("/api/v1/events", bearer("not-the-token-not-the-token-not-the-token"));
    expect(r.status).toBe(401);
    expect(r.response).toContain("invalid admin token");
  });

  it("refuses a worker upgrade without a valid token with 401, before reading any frame (no big buffers)", async () => {
    const before = rssOf(sc.proc.pid!);
    const attempts = await Promise.all(
      [undefined, "efw_000000000000_" + "A".repeat(43), "garbage", undefined].map((t) =>
        upgrade("/api/v1/worker", t ? bearer(t) : {}),
      ),
    );
    for (const r of attempts) {
      expect(r.status).toBe(401);
      expect(r.response).toMatch(/worker token/);
      // A 64 MiB binary frame, of which 8 MB are sent: refused sockets never read it.
      r.socket.write(frame({ opcode: OP.binary, announcedLength: 64n * 1024n * 1024n, payload: Buffer.alloc(0) }));
      r.socket.write(Buffer.alloc(8 * 1024 * 1024));
    }
    await Promise.all(attempts.map((r) => r.closed));
    expect(rssOf(sc.proc.pid!) - before).toBeLessThan(48 * 1024 * 1024);
    await everyoneCarriesOn("porch");
  });
});

/** Frames no well-behaved client sends, and the standard close code each must get. */
const MALFORMED: { name: string; frames: Buffer[]; code: number }[] = [
  { name: "oversized text message", frames: [frame({ opcode: OP.text, payload: "x".repeat(70_000) })], code: 1009 },
  {
    name: "oversized message in fragments",
    frames: [
      frame({ opcode: OP.text, fin: false, payload: "x".repeat(10_000) }),
      frame({ opcode: OP.continuation, payload: "x".repeat(10_000) }),
    ],
    code: 1009,
  },
  {
    name: "absurd 64-bit length",
    frames: [frame({ opcode: OP.binary, announcedLength: 1n << 62n, payload: Buffer.alloc(0) })],
    code: 1009,
  },
  { name: "reserved opcode 0x3", frames: [frame({ opcode: 0x3, payload: "x" })], code: 1002 },
  { name: "reserved control opcode 0xb", frames: [frame({ opcode: 0xb })], code: 1002 },
  { name: "RSV1 without an extension", frames: [frame({ opcode: OP.text, rsv: 4, payload: "{}" })], code: 1002 },
  { name: "RSV2 and RSV3", frames: [frame({ opcode: OP.text, rsv: 3, payload: "{}" })], code: 1002 },
  {
    name: "invalid UTF-8 text",
    frames: [frame({ opcode: OP.text, payload: Buffer.from([0x7b, 0xff, 0xfe]) })],
    code: 1007,
  },
  { name: "fragmented control frame", frames: [frame({ opcode: OP.ping, fin: false, payload: "p" })], code: 1002 },
  { name: "control frame over 125 bytes", frames: [frame({ opcode: OP.ping, payload: "p".repeat(126) })], code: 1002 },
  { name: "unmasked client frame", frames: [frame({ opcode: OP.text, payload: "{}", masked: false })], code: 1002 },
  {
    name: "continuation with nothing to continue",
    frames: [frame({ opcode: OP.continuation, payload: "x" })],
    code: 1002,
  },
  {
    name: "new message inside a fragmented one",
    frames: [frame({ opcode: OP.text, fin: false, payload: "{" }), frame({ opcode: OP.text, payload: "}" })],
    code: 1002,
  },
  { name: "close with a 1-byte payload", frames: [frame({ opcode: OP.close, payload: Buffer.from([3]) })], code: 1002 },
  {
    name: "close with code 999",
    frames: [frame({ opcode: OP.close, payload: Buffer.from([0x03, 0xe7]) })],
    code: 1002,
  },
  {
    name: "close with a reason that is not UTF-8",
    frames: [frame({ opcode: OP.close, payload: Buffer.from([0x03, 0xe8, 0xff]) })],
    code: 1007,
  },
];

describe("malformed frames from an authenticated client close that socket only", () => {
  it.each(MALFORMED)("events socket: $name → close $code", async ({ frames, code }) => {
    const r = await upgrade("/api/v1/events", bearer(sc.token));
    expect(r.status).toBe(101);
    for (const f of frames) r.socket.write(f);
    await r.closed;
    expect(serverCloseCode(r.frames())).toBe(code);
    expect(pidAlive(sc.proc.pid!)).toBe(true);
  });

  it.each(MALFORMED.filter((m) => m.code !== 1009 || m.name.startsWith("absurd")))(
    "worker socket: $name → close $code",
    async ({ frames, code }) => {
      const r = await upgrade("/api/v1/worker", bearer(workerToken));
      expect(r.status).toBe(101);
      for (const f of frames) r.socket.write(f);
      await r.closed;
      expect(serverCloseCode(r.frames())).toBe(code);
    },
  );

  it("after the whole fuzz the process, the watcher and the real worker carry on", async () => {
    await everyoneCarriesOn("desk");
    expect(worker.proc.exitCode).toBeNull();
    const log = sc.output();
    expect(log).toMatch(/events client \S+: Invalid WebSocket frame/);
  });
});

describe("browsers: tickets and origins", () => {
  it("accepts a ticket once, as a subprotocol beside forge.events.v1, and selects that subprotocol", async () => {
    const t = await ticket();
    const protocols = eventsProtocols(t).join(", ");
    const origin = { Origin: new URL(sc.url).origin };
    const first = await upgrade("/api/v1/events", { "Sec-WebSocket-Protocol": protocols, ...origin });
    expect(first.status).toBe(101);
    expect(first.response).toMatch(new RegExp(`Sec-WebSocket-Protocol: ${EVENTS_SUBPROTOCOL.replace(/\./g, "\\.")}`));
    const again = await upgrade("/api/v1/events", { "Sec-WebSocket-Protocol": protocols, ...origin });
    expect(again.status).toBe(401);
    expect(again.response).toContain("unknown, used or expired ticket");
  });

  it("refuses a ticket in the URL, without the events subprotocol, or one that was never issued", async () => {
    const t = await ticket();
    expect((await upgrade(`/api/v1/events?ticket=${t}`)).status).toBe(401);
    expect((await upgrade("/api/v1/events", { "Sec-WebSocket-Protocol": `forge.ticket.${t}` })).status).toBe(401);
    const forged = eventsProtocols("A".repeat(43)).join(", ");
    expect((await upgrade("/api/v1/events", { "Sec-WebSocket-Protocol": forged })).status).toBe(401);
  });

  it("issues tickets only to the admin token", async () => {
    expect((await fetch(`${sc.url}/api/v1/events/ticket`, { method: "POST" })).status).toBe(401);
  });

  it("refuses a foreign Origin even with a valid ticket, and accepts the proxy origin it was told about", async () => {
    for (const origin of ["http://evil.example", "null", "http://127.0.0.1:1"]) {
      const r = await upgrade("/api/v1/events", {
        "Sec-WebSocket-Protocol": eventsProtocols(await ticket()).join(", "),
        Origin: origin,
      });
      expect(r.status, origin).toBe(403);
      expect(r.response).toContain("--allowed-origins");
    }
    const viaProxy = await upgrade("/api/v1/events", {
      "Sec-WebSocket-Protocol": eventsProtocols(await ticket()).join(", "),
      Origin: PROXY_ORIGIN,
    });
    expect(viaProxy.status).toBe(101);
  });

  it("answers an upgrade for another host name (DNS rebinding) with 421", async () => {
    const r = await upgrade("/api/v1/events", { ...bearer(sc.token), Host: "rebound.example:7052" });
    expect(r.status).toBe(421);
    expect(r.response).toContain("--allowed-hosts");
  });
});

describe("per-client cap", () => {
  it("refuses a client's events socket beyond the cap with 429, and others are not affected", async () => {
    const from = "127.0.0.3";
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await upgrade("/api/v1/events", bearer(sc.token), from));
    expect(held.map((r) => r.status)).toEqual([101, 101, 101, 101]);
    const over = await upgrade("/api/v1/events", bearer(sc.token), from);
    expect(over.status).toBe(429);
    expect(over.response).toMatch(/Retry-After: \d+/);
    // Another address is counted on its own.
    expect((await upgrade("/api/v1/events", bearer(sc.token), "127.0.0.4")).status).toBe(101);
    held[0]!.socket.destroy();
    await waitFor(
      async () => (await upgrade("/api/v1/events", bearer(sc.token), from)).status === 101,
      "a slot freed by a closed socket",
    );
  });
});

function rssOf(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return kb * 1024;
}
