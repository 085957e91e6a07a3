import { describe, expect, it } from "vitest";
import type { DeltaEvent, Device, Job } from "@esphome-forge/shared";
import { EventBus } from "../events/event-bus.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { TrustChange } from "../trust/index.js";
import { DeviceAnnouncer } from "./device-announcer.js";
import type { DeviceView } from "./device-view.js";
import { DeviceViews } from "./device-views.js";

/** A view whose output the test controls, counting how often it is asked (and how, per device). */
function setup(ids = ["kitchen", "porch"]) {
  const bus = new EventBus();
  const seen: DeltaEvent[] = [];
  bus.onDelta((e) => seen.push(e));
  const state = { version: "a", calls: 0, cachedOnly: 0, built: [] as string[] };
  const view = {
    toDevice: (d: InventoryDevice, opts: { cachedTrustOnly?: boolean } = {}) => {
      state.calls++;
      if (opts.cachedTrustOnly) state.cachedOnly++;
      else state.built.push(d.id);
      return { id: d.id, marker: opts.cachedTrustOnly ? "placeholder" : state.version } as unknown as Device;
    },
  } as unknown as DeviceView;
  const devices = ids.map((id) => ({ id })) as InventoryDevice[];
  const views = new DeviceViews(bus);
  const reached: TrustChange[] = [];
  const announcer = new DeviceAnnouncer({
    views,
    view,
    lookup: (id) => devices.find((d) => d.id === id),
    all: () => devices,
    trust: {
      invalidate: (c) => {
        reached.push(c);
        return c.affects === "all" ? "all" : ["porch"];
      },
      forget: () => {},
    },
  });
  const deviceEvents = () => seen.filter((e) => e.type === "device");
  return { announcer, views, state, deviceEvents, reached };
}

const job = (id: number, state: Job["state"], phase: Job["phase"] = null) =>
  ({ id, deviceId: "kitchen", state, phase }) as Job;

describe("DeviceAnnouncer", () => {
  it("rebuilds a view only when a job's state changes, and skips identical views", () => {
    const { announcer, state, deviceEvents } = setup();
    announcer.jobChanged(job(1, "queued"));
    expect(state.calls).toBe(1);
    expect(deviceEvents()).toHaveLength(1);
    announcer.jobChanged(job(1, "running", "prepare"));
    announcer.jobChanged(job(1, "running", "compile")); // phase only: no rebuild
    expect(state.calls).toBe(2);
    expect(deviceEvents()).toHaveLength(1); // the view did not change
    state.version = "b";
    announcer.jobChanged(job(1, "succeeded"));
    expect(deviceEvents()).toHaveLength(2);
    // A finished job is forgotten: a late duplicate of its event is treated as new, not lost.
    announcer.jobChanged(job(1, "succeeded"));
    expect(state.calls).toBe(4);
  });

  it("refresh announces only a changed view; an inventory change is always announced", () => {
    const { announcer, state, deviceEvents } = setup();
    announcer.deviceChanged({ id: "kitchen" } as InventoryDevice);
    announcer.refresh("kitchen");
    expect(deviceEvents()).toHaveLength(1);
    state.version = "c";
    announcer.refresh("kitchen");
    announcer.deviceChanged({ id: "kitchen" } as InventoryDevice);
    expect(deviceEvents()).toHaveLength(3);
    announcer.refresh("nobody");
    expect(deviceEvents()).toHaveLength(3);
  });

  it("serves views from memory: the list and one device, without building them again", () => {
    const { announcer, views, state } = setup();
    announcer.start(1_000);
    expect(state.calls).toBe(2);
    expect(views.list().map((d) => d.id)).toEqual(["kitchen", "porch"]);
    const first = views.listJson();
    expect(JSON.parse(Buffer.concat(first.parts).toString())).toEqual({ devices: views.list() });
    expect(views.listJson()).toBe(first); // kept until a view changes
    expect(JSON.parse(Buffer.concat(views.arrayJson()).toString())).toEqual(views.list());
    expect(views.get("porch")).toMatchObject({ marker: "a" });
    expect(state.calls).toBe(2);
    announcer.deviceRemoved("porch");
    const after = views.listJson();
    expect(after.etag).not.toBe(first.etag);
    expect(JSON.parse(Buffer.concat(after.parts).toString()).devices.map((d: Device) => d.id)).toEqual(["kitchen"]);
  });

  it("at start evaluates trust within its budget; the rest read as placeholders until the background gets to them", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `d${String(i).padStart(2, "0")}`);
    const { announcer, views, state } = setup(ids);
    announcer.start(0); // no budget: every view starts as a placeholder
    expect(state.cachedOnly).toBe(50);
    expect(views.list().every((d) => (d as unknown as { marker: string }).marker === "placeholder")).toBe(true);
    await announcer.idle();
    expect(views.list().every((d) => (d as unknown as { marker: string }).marker === "a")).toBe(true);
    expect(state.built).toEqual(ids);
  });

  it("rebuilds in the background only the devices a trust change reaches, coalescing repeats", async () => {
    const { announcer, state, deviceEvents, reached } = setup();
    announcer.start(1_000);
    state.version = "d";
    state.built = [];
    const enrolled: TrustChange = {
      type: "keys",
      event: "key_enrolled",
      hint: "h",
      role: "worker",
      affects: "unknown_signer",
    };
    announcer.trustChanged(enrolled);
    expect(state.built).toEqual([]); // nothing rebuilt inside the caller's turn
    await announcer.idle();
    expect(state.built).toEqual(["porch"]);
    const revoked: TrustChange = { type: "revocations", version: 2, affects: "all" };
    announcer.trustChanged(revoked);
    announcer.trustChanged(revoked);
    announcer.trustChanged(revoked);
    await announcer.idle();
    expect(state.built).toEqual(["porch", "kitchen", "porch"]);
    expect(reached).toHaveLength(4);
    expect(
      deviceEvents()
        .slice(-2)
        .map((e) => e.id),
    ).toEqual(["porch", "kitchen"]);
  });

  it("rebuilds at once within a turn's budget; a burst (a whole fleet queued) spills into the background", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `d${String(i).padStart(2, "0")}`);
    const { announcer, views, state } = setup(ids);
    announcer.start(60_000);
    state.version = "burst";
    state.built = [];
    // Each rebuild costs about a millisecond: the turn's budget holds a few, not sixty.
    const view = (announcer as unknown as { o: { view: { toDevice: (d: InventoryDevice) => Device } } }).o.view;
    const toDevice = view.toDevice.bind(view);
    view.toDevice = (d: InventoryDevice) => {
      const until = performance.now() + 1;
      while (performance.now() < until);
      return toDevice(d);
    };
    ids.forEach((id, i) => announcer.jobChanged({ id: i + 1, deviceId: id, state: "queued", phase: null } as Job));
    const atOnce = state.built.length;
    expect(atOnce).toBeGreaterThan(0);
    expect(atOnce).toBeLessThan(60);
    await announcer.idle();
    expect(new Set(state.built)).toEqual(new Set(ids));
    expect(views.list().every((d) => (d as unknown as { marker: string }).marker === "burst")).toBe(true);
  });

  it("rebuilds views that name a job deleted by retention", async () => {
    const { announcer, views, state } = setup();
    announcer.start(1_000);
    (views.get("kitchen") as { lastBuild: unknown }).lastBuild = { jobId: 7 };
    state.built = [];
    announcer.jobsPruned([6, 7]);
    await announcer.idle();
    expect(state.built).toEqual(["kitchen"]);
  });
});
