import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeJob, makeSnapshot, verdict } from "../../test/support/fixtures/fleet.js";
import { Backoff } from "@esphome-forge/shared/backoff";
import { DirectSource } from "./direct-source.js";
import type { ForgeState, LogUpdate } from "./types.js";

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  // test side
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  deliver(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** Answers POST /events/ticket with ticket-1, ticket-2, …; everything else goes to `other`. */
function withTickets(other?: (url: string, init: RequestInit) => Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = [];
  let n = 0;
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    if (url.endsWith("/events/ticket"))
      return new Response(JSON.stringify({ ticket: `ticket-${++n}`, expiresAt: "2030-01-01T00:00:00Z" }), {
        status: 201,
      });
    return other ? other(url, init) : new Response("{}", { status: 200 });
  }) as unknown as typeof fetch;
  return { fetchImpl, calls };
}

async function setup(fetchImpl: typeof fetch = withTickets().fetchImpl) {
  const source = new DirectSource({
    baseUrl: "http://127.0.0.1:7052/",
    token: "tok",
    WebSocket: FakeSocket as unknown as new (url: string, protocols: string[]) => WebSocket,
    fetch: fetchImpl,
    backoff: new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999999 }),
  });
  const states: ForgeState[] = [];
  const off = source.subscribe((s) => states.push(s));
  await vi.advanceTimersByTimeAsync(0); // the ticket request resolves, the socket opens
  return { source, states, off, ws: () => FakeSocket.all[FakeSocket.all.length - 1]! };
}

describe("DirectSource", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("under ingress: no token, no Authorization header, and every URL kept under the page's prefix", async () => {
    const { fetchImpl, calls } = withTickets();
    const source = new DirectSource({
      baseUrl: "https://ha.example.com/api/hassio_ingress/AbC123_xyz/",
      token: null,
      WebSocket: FakeSocket as unknown as new (url: string, protocols: string[]) => WebSocket,
      fetch: fetchImpl,
      backoff: new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999999 }),
    });
    const off = source.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls[0]!.url).toBe("https://ha.example.com/api/hassio_ingress/AbC123_xyz/api/v1/events/ticket");
    expect(calls[0]!.init.headers).not.toHaveProperty("authorization");
    expect(FakeSocket.all[0]!.url).toBe("wss://ha.example.com/api/hassio_ingress/AbC123_xyz/api/v1/events");
    off();
  });

  it("opens the socket with a ticket fetched with the token, never the token itself, then applies the snapshot and deltas", async () => {
    const { fetchImpl, calls } = withTickets();
    const { ws, states } = await setup(fetchImpl);
    expect(calls[0]!.url).toBe("http://127.0.0.1:7052/api/v1/events/ticket");
    expect(calls[0]!.init.method).toBe("POST");
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe("Bearer tok");
    expect(ws().url).toBe("ws://127.0.0.1:7052/api/v1/events");
    expect(ws().protocols).toEqual(["forge.events.v1", "forge.ticket.ticket-1"]);
    ws().open();
    expect(ws().sent).toEqual([]);
    ws().deliver(makeSnapshot(3, 4));
    expect(states.at(-1)!.status).toBe("live");
    ws().deliver({ type: "job", seq: 5, op: "upsert", id: 1, job: makeJob(1, "kitchen-plug-0", { state: "running" }) });
    expect(states.at(-1)!.jobs.get(1)?.state).toBe("running");
  });

  it("reconnects with backoff and a new ticket, resyncs from the new snapshot and resumes logs at the next byte", async () => {
    const { source, ws, states } = await setup();
    ws().open();
    ws().deliver(makeSnapshot(2, 1));
    const got: LogUpdate[] = [];
    source.subscribeLog(7, 0, (u) => got.push(u));
    expect(ws().sent.at(-1)).toEqual({ type: "subscribe_log", jobId: 7, offset: 0 });
    ws().deliver({ type: "log", jobId: 7, offset: 0, chunk: "line 1\n" });
    const first = ws();
    first.drop(1006, "gone");
    expect(states.at(-1)!.status).toBe("reconnecting");
    expect(states.at(-1)!.devices.size).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    const second = ws();
    expect(second).not.toBe(first);
    expect(second.protocols).toEqual(["forge.events.v1", "forge.ticket.ticket-2"]);
    second.open();
    expect(second.sent).toEqual([]); // nothing before the snapshot
    second.deliver(makeSnapshot(1, 0));
    expect(states.at(-1)!.devices.size).toBe(1);
    expect(second.sent.at(-1)).toEqual({ type: "subscribe_log", jobId: 7, offset: 7 });
    // The server repeats from where we asked; anything older is dropped by the stitcher.
    second.deliver({ type: "log", jobId: 7, offset: 0, chunk: "line 1\nline 2\n" });
    expect(got).toEqual([
      { kind: "text", text: "line 1\n" },
      { kind: "text", text: "line 2\n" },
    ]);
  });

  it("stops when the sidecar refuses the token for a ticket instead of retrying", async () => {
    let refuse = false;
    const { fetchImpl } = withTickets();
    const gate = (async (url: string, init: RequestInit) =>
      refuse
        ? new Response(JSON.stringify({ error: { code: "unauthorized", message: "invalid admin token" } }), {
            status: 401,
          })
        : fetchImpl(url, init)) as unknown as typeof fetch;
    const { ws, states } = await setup(gate);
    ws().open();
    refuse = true; // the token was rotated; the refused upgrade itself looks like any drop (1006)
    ws().drop(1006, "");
    await vi.advanceTimersByTimeAsync(100);
    expect(states.at(-1)!.status).toBe("unauthorized");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("retries a ticket request that did not reach the sidecar", async () => {
    let down = true;
    const { fetchImpl } = withTickets();
    const flaky = (async (url: string, init: RequestInit) => {
      if (down) throw new TypeError("fetch failed");
      return fetchImpl(url, init);
    }) as unknown as typeof fetch;
    const { states } = await setup(flaky);
    expect(FakeSocket.all).toHaveLength(0);
    expect(states.at(-1)!.status).toBe("reconnecting");
    down = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("closes the socket when the last subscriber leaves", async () => {
    const { ws, off } = await setup();
    ws().open();
    off();
    expect(ws().readyState).toBe(3);
    ws().drop(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("calls the REST API with the bearer token and surfaces the sidecar's error message", async () => {
    const { fetchImpl, calls } = withTickets(async (url: string) => {
      if (url.endsWith("/cancel"))
        return new Response(JSON.stringify({ error: { code: "not_found", message: "no job with id 9" } }), {
          status: 404,
        });
      return new Response(JSON.stringify({ jobs: [{ jobId: 1, deviceId: "a", coalesced: false }], skipped: [] }), {
        status: 201,
      });
    });
    const { source } = await setup(fetchImpl);
    calls.length = 0; // the ticket request
    const res = await source.compile(["a"], { upload: true });
    expect(res.jobs[0]!.jobId).toBe(1);
    expect(calls[0]!.url).toBe("http://127.0.0.1:7052/api/v1/jobs");
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe("Bearer tok");
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({
      action: "compile_upload",
      targets: { devices: ["a"] },
      priority: "interactive",
      source: "dashboard",
    });
    await source.upload(["a"]);
    expect(JSON.parse(calls[1]!.init.body as string).action).toBe("upload");
    await expect(source.cancel(9)).rejects.toThrow("no job with id 9");
  });

  it("fetches the trust status with the token, again after a device's trust changed, not after other device changes", async () => {
    const urls: string[] = [];
    const { fetchImpl } = withTickets(async (url: string) => {
      urls.push(url);
      return new Response(
        JSON.stringify({ policy: "enforce", revocations: null, log: { size: urls.length, audit: null } }),
        { status: 200 },
      );
    });
    const { source, ws } = await setup(fetchImpl);
    const sizes: number[] = [];
    source.trustStatus.subscribe((u) => u.status && sizes.push(u.status.log.size));
    ws().open();
    const snap = makeSnapshot(2, 1);
    ws().deliver(snap);
    await vi.advanceTimersByTimeAsync(1000);
    expect(urls).toEqual(["http://127.0.0.1:7052/api/v1/trust/status"]);
    const d = snap.devices[0]!;
    ws().deliver({ type: "device", seq: 2, op: "upsert", id: d.id, device: { ...d, tags: ["moved"] } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(urls).toHaveLength(1);
    const revoked = { ...d, trust: { ...d.trust, running: verdict("revoked", "bad driver") } };
    ws().deliver({ type: "device", seq: 3, op: "upsert", id: d.id, device: revoked });
    ws().deliver({ type: "device", seq: 4, op: "upsert", id: d.id, device: { ...revoked, trustPolicy: "warn" } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(urls).toHaveLength(2);
    expect(sizes).toEqual([1, 2]);
  });

  it("marks the state unauthorised on a 401", async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ error: { code: "unauthorized", message: "invalid admin token" } }), {
        status: 401,
      })) as unknown as typeof fetch;
    const { source, states } = await setup(fetchImpl);
    await expect(source.verify()).rejects.toMatchObject({ status: 401, message: "invalid admin token" });
    expect(states.at(-1)!.status).toBe("unauthorized");
  });
});
