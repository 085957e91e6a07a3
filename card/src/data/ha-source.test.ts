import { describe, expect, it, vi } from "vitest";
import { makeJob, makeSnapshot, verdict } from "../../test/support/fixtures/fleet.js";
import { HaSource, type HaConnectionLike, type HaMessage } from "./ha-source.js";
import type { ForgeState, LogUpdate } from "./types.js";

function fakeConnection(reply: (msg: HaMessage) => unknown = () => ({ jobs: [], skipped: [] })) {
  const subs: { msg: HaMessage; cb: (e: unknown) => void; closed: boolean }[] = [];
  const sent: HaMessage[] = [];
  const listeners = new Map<string, () => void>();
  const conn: HaConnectionLike = {
    async subscribeMessage<T>(cb: (e: T) => void, msg: HaMessage) {
      if (msg.type === "esphome_forge/job_log" && msg.job_id === 404)
        throw { code: "not_found", message: "no job with id 404" };
      const sub = { msg, cb: cb as (e: unknown) => void, closed: false };
      subs.push(sub);
      return async () => {
        sub.closed = true;
      };
    },
    async sendMessagePromise<T>(msg: HaMessage) {
      sent.push(msg);
      const r = reply(msg);
      if (r instanceof Error) throw { code: "unauthorized", message: r.message };
      return r as T;
    },
    addEventListener: (ev, cb) => listeners.set(ev, cb),
    removeEventListener: (ev) => listeners.delete(ev),
  };
  return { conn, subs, sent, listeners };
}

describe("HaSource", () => {
  it("subscribes to esphome_forge/subscribe and applies what the integration sends", async () => {
    const f = fakeConnection();
    const source = new HaSource(f.conn, "entry1");
    const states: ForgeState[] = [];
    const off = source.subscribe((s) => states.push(s));
    await Promise.resolve();
    expect(f.subs[0]!.msg).toEqual({ type: "esphome_forge/subscribe", entry_id: "entry1" });
    f.subs[0]!.cb(makeSnapshot(2, 3));
    f.subs[0]!.cb({
      type: "job",
      seq: 4,
      op: "upsert",
      id: 5,
      job: makeJob(5, "kitchen-plug-0", { state: "running" }),
    });
    expect(states.at(-1)!.jobs.get(5)!.state).toBe("running");
    f.listeners.get("disconnected")!();
    expect(states.at(-1)!.status).toBe("reconnecting");
    f.subs[0]!.cb(makeSnapshot(1, 0)); // HA re-subscribed after its reconnect
    expect(states.at(-1)!.status).toBe("live");
    expect(states.at(-1)!.devices.size).toBe(1);
    off();
    await new Promise((r) => setTimeout(r, 0));
    expect(f.subs[0]!.closed).toBe(true);
    expect(f.listeners.size).toBe(0);
  });

  it("sends the documented command payloads", async () => {
    const f = fakeConnection((m) =>
      m.type === "esphome_forge/cancel" ? makeJob(9, "a", { state: "cancelled" }) : { jobs: [], skipped: [] },
    );
    const source = new HaSource(f.conn);
    await source.compile(["a", "b"], { upload: false });
    await source.upload(["a"]);
    const job = await source.cancel(9);
    expect(f.sent).toEqual([
      { type: "esphome_forge/compile", device_ids: ["a", "b"], upload: false },
      { type: "esphome_forge/upload", device_ids: ["a"] },
      { type: "esphome_forge/cancel", job_id: 9 },
    ]);
    expect(job.state).toBe("cancelled");
  });

  it("asks esphome_forge/trust_status after a snapshot and after a device's trust changed, not after other changes", async () => {
    vi.useFakeTimers();
    try {
      let asked = 0;
      const f = fakeConnection((m) =>
        m.type === "esphome_forge/trust_status"
          ? {
              policy: "enforce",
              revocations: null,
              revocationError: null,
              log: { size: ++asked, audit: null },
              keys: { active: 1, retired: 0, revoked: 0 },
            }
          : undefined,
      );
      const source = new HaSource(f.conn, "entry1");
      const sizes: number[] = [];
      source.trustStatus!.subscribe((u) => u.status && sizes.push(u.status.log.size));
      await vi.advanceTimersByTimeAsync(1000);
      const off = source.subscribe(() => undefined);
      await vi.advanceTimersByTimeAsync(0);
      const snap = makeSnapshot(2, 1);
      f.subs[0]!.cb(snap);
      await vi.advanceTimersByTimeAsync(1000);
      const d = snap.devices[0]!;
      f.subs[0]!.cb({ type: "device", seq: 2, op: "upsert", id: d.id, device: { ...d, tags: ["moved"] } });
      await vi.advanceTimersByTimeAsync(1000);
      expect(asked).toBe(2);
      const revoked = { ...d, trust: { ...d.trust, running: verdict("revoked", "bad driver") } };
      f.subs[0]!.cb({ type: "device", seq: 3, op: "upsert", id: d.id, device: revoked });
      f.subs[0]!.cb({ type: "device", seq: 4, op: "upsert", id: d.id, device: { ...revoked, trustPolicy: "warn" } });
      await vi.advanceTimersByTimeAsync(1000);
      expect(asked).toBe(3);
      expect(sizes).toEqual([1, 2, 3]);
      expect(f.sent.filter((m) => m.type === "esphome_forge/trust_status")).toEqual(
        Array(3).fill({ type: "esphome_forge/trust_status", entry_id: "entry1" }),
      );
      off();
    } finally {
      vi.useRealTimers();
    }
  });

  it("has no trust status for non-admin users (the command is admin-only)", () => {
    expect(new HaSource(fakeConnection().conn, null, false).trustStatus).toBeUndefined();
  });

  it("turns HA errors into readable messages", async () => {
    const f = fakeConnection(() => new Error("admin required"));
    const source = new HaSource(f.conn);
    await expect(source.compile(["a"], { upload: true })).rejects.toThrow(/administrators.*admin required/);
  });

  it("reports an unknown command as a missing integration", async () => {
    const conn: HaConnectionLike = {
      subscribeMessage: async () => {
        throw { code: "unknown_command", message: "Unknown command." };
      },
      sendMessagePromise: async () => undefined as never,
    };
    const states: ForgeState[] = [];
    const off = new HaSource(conn).subscribe((s) => states.push(s));
    await new Promise((r) => setTimeout(r, 0));
    expect(states.at(-1)!.status).toBe("error");
    expect(states.at(-1)!.error).toMatch(/integration is not loaded/);
    off();
  });

  it("shows HA's word that the sidecar is unreachable, with since, until the next snapshot", async () => {
    const f = fakeConnection();
    const states: ForgeState[] = [];
    const off = new HaSource(f.conn).subscribe((s) => states.push(s));
    await Promise.resolve();
    f.subs[0]!.cb(makeSnapshot(2, 3));
    f.subs[0]!.cb({ type: "unreachable", since: "2026-11-02T10:00:00+00:00", error: "Connection refused" });
    expect(states.at(-1)).toMatchObject({
      status: "unreachable",
      since: "2026-11-02T10:00:00+00:00",
      error: "Connection refused",
    });
    expect(states.at(-1)!.devices.size).toBe(2); // what HA last knew stays visible
    f.subs[0]!.cb(makeSnapshot(2, 0)); // the sidecar is back
    expect(states.at(-1)).toMatchObject({ status: "live", since: null, error: null });
    off();
  });

  it("asks again when HA refuses the subscription (the entry still retrying its setup)", async () => {
    vi.useFakeTimers();
    try {
      let refusals = 1;
      const subs: Array<(e: unknown) => void> = [];
      const conn: HaConnectionLike = {
        subscribeMessage: async <T>(cb: (e: T) => void) => {
          if (refusals-- > 0) throw { code: "not_found", message: "not connected to its sidecar yet" };
          subs.push(cb as (e: unknown) => void);
          return async () => undefined;
        },
        sendMessagePromise: async () => undefined as never,
      };
      const states: ForgeState[] = [];
      const off = new HaSource(conn, null, false).subscribe((s) => states.push(s));
      await vi.advanceTimersByTimeAsync(0);
      expect(states.at(-1)).toMatchObject({ status: "error", error: "not connected to its sidecar yet" });
      await vi.advanceTimersByTimeAsync(2_000);
      expect(subs).toHaveLength(1);
      subs[0]!(makeSnapshot(1, 0));
      expect(states.at(-1)!.status).toBe("live");
      off();
    } finally {
      vi.useRealTimers();
    }
  });

  it("follows logs, dedupes HA's resubscription and reports errors", async () => {
    const f = fakeConnection();
    const source = new HaSource(f.conn);
    const got: LogUpdate[] = [];
    source.subscribeLog(3, 0, (u) => got.push(u));
    await Promise.resolve();
    const sub = f.subs.find((s) => s.msg.type === "esphome_forge/job_log")!;
    expect(sub.msg).toEqual({ type: "esphome_forge/job_log", job_id: 3, offset: 0 });
    sub.cb({ type: "log", jobId: 3, offset: 0, chunk: "a\n" });
    sub.cb({ type: "log", jobId: 3, offset: 0, chunk: "a\nb\n" });
    sub.cb({ type: "log_end", jobId: 3, state: "succeeded" });
    expect(got).toEqual([
      { kind: "text", text: "a\n" },
      { kind: "text", text: "b\n" },
      { kind: "end", state: "succeeded" },
    ]);
    const errs: LogUpdate[] = [];
    source.subscribeLog(404, 0, (u) => errs.push(u));
    await new Promise((r) => setTimeout(r, 0));
    expect(errs).toEqual([{ kind: "error", message: "no job with id 404" }]);
  });
});
