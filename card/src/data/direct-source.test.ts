import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeJob, makeSnapshot, verdict } from "../../test/support/fixtures/fleet.js";
import { Backoff } from "./backoff.js";
import { DirectSource } from "./direct-source.js";
import type { ForgeState, LogUpdate } from "./types.js";

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
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

function setup(fetchImpl?: typeof fetch) {
  const source = new DirectSource({
    baseUrl: "http://127.0.0.1:7052/",
    token: "tok",
    WebSocket: FakeSocket as unknown as new (url: string) => WebSocket,
    fetch: fetchImpl ?? (vi.fn() as unknown as typeof fetch),
    backoff: new Backoff(100, 1000, () => 1),
  });
  const states: ForgeState[] = [];
  const off = source.subscribe((s) => states.push(s));
  return { source, states, off, ws: () => FakeSocket.all[FakeSocket.all.length - 1]! };
}

describe("DirectSource", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("authenticates with the first message, then applies the snapshot and deltas", () => {
    const { ws, states } = setup();
    expect(ws().url).toBe("ws://127.0.0.1:7052/api/v1/events");
    ws().open();
    expect(ws().sent[0]).toEqual({ type: "auth", token: "tok" });
    ws().deliver(makeSnapshot(3, 4));
    expect(states.at(-1)!.status).toBe("live");
    ws().deliver({ type: "job", seq: 5, op: "upsert", id: 1, job: makeJob(1, "kitchen-plug-0", { state: "running" }) });
    expect(states.at(-1)!.jobs.get(1)?.state).toBe("running");
  });

  it("reconnects with backoff, resyncs from the new snapshot and resumes logs at the next byte", () => {
    const { source, ws, states } = setup();
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
    vi.advanceTimersByTime(100);
    const second = ws();
    expect(second).not.toBe(first);
    second.open();
    expect(second.sent).toEqual([{ type: "auth", token: "tok" }]); // nothing before auth + snapshot
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

  it("stops on an unauthorised close instead of retrying", () => {
    const { ws, states } = setup();
    ws().open();
    ws().drop(4003, "unauthorized");
    expect(states.at(-1)!.status).toBe("unauthorized");
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("closes the socket when the last subscriber leaves", () => {
    const { ws, off } = setup();
    ws().open();
    off();
    expect(ws().readyState).toBe(3);
    ws().drop(1000);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("calls the REST API with the bearer token and surfaces the sidecar's error message", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith("/cancel"))
        return new Response(JSON.stringify({ error: { code: "not_found", message: "no job with id 9" } }), {
          status: 404,
        });
      return new Response(JSON.stringify({ jobs: [{ jobId: 1, deviceId: "a", coalesced: false }], skipped: [] }), {
        status: 201,
      });
    }) as unknown as typeof fetch;
    const { source } = setup(fetchImpl);
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
    const fetchImpl = (async (url: string) => {
      urls.push(url);
      return new Response(
        JSON.stringify({ policy: "enforce", revocations: null, log: { size: urls.length, audit: null } }),
        { status: 200 },
      );
    }) as unknown as typeof fetch;
    const { source, ws } = setup(fetchImpl);
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
    const { source, states } = setup(fetchImpl);
    await expect(source.verify()).rejects.toMatchObject({ status: 401, message: "invalid admin token" });
    expect(states.at(-1)!.status).toBe("unauthorized");
  });
});
