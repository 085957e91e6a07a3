import { describe, expect, it } from "vitest";
import type { DeltaEvent, Device, Job } from "@esphome-forge/shared";
import { EventBus } from "../events/event-bus.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import { DeviceAnnouncer } from "./device-announcer.js";
import type { DeviceView } from "./device-view.js";

/** A view whose output the test controls, counting how often it is asked. */
function setup() {
  const bus = new EventBus();
  const seen: DeltaEvent[] = [];
  bus.onDelta((e) => seen.push(e));
  const state = { version: "a", calls: 0 };
  const view = {
    toDevice: (d: InventoryDevice) => {
      state.calls++;
      return { id: d.id, marker: state.version } as unknown as Device;
    },
  } as unknown as DeviceView;
  const devices = [{ id: "kitchen" }, { id: "porch" }] as InventoryDevice[];
  const announcer = new DeviceAnnouncer(
    bus,
    view,
    (id) => devices.find((d) => d.id === id),
    () => devices,
  );
  const deviceEvents = () => seen.filter((e) => e.type === "device");
  return { announcer, state, deviceEvents };
}

const job = (id: number, state: Job["state"], phase: Job["phase"] = null) =>
  ({ id, deviceId: "kitchen", state, phase }) as Job;

describe("DeviceAnnouncer", () => {
  it("asks for the device view only when a job's state changes, and skips identical views", () => {
    const { announcer, state, deviceEvents } = setup();
    announcer.jobChanged(job(1, "queued"));
    expect(state.calls).toBe(1);
    expect(deviceEvents()).toHaveLength(1);
    announcer.jobChanged(job(1, "running", "prepare"));
    announcer.jobChanged(job(1, "running", "compile")); // phase only: no query
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

  it("coalesces trust changes into one re-announcement of every device", async () => {
    const { announcer, state, deviceEvents } = setup();
    announcer.trustChanged();
    announcer.trustChanged();
    announcer.trustChanged();
    expect(deviceEvents()).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(state.calls).toBe(2);
    expect(deviceEvents().map((e) => e.id)).toEqual(["kitchen", "porch"]);
  });
});
