import { describe, expect, it } from "vitest";
import type { Device } from "@esphome-forge/shared";
import { EventBus } from "../events/event-bus.js";
import { DeviceViews } from "./device-views.js";

const device = (id: string, note = "a") => ({ id, note }) as unknown as Device;
const body = (v: DeviceViews) => {
  const { parts, length } = v.listJson();
  const joined = Buffer.concat(parts);
  expect(joined.length).toBe(length);
  return JSON.parse(joined.toString()) as { devices: Device[] };
};

describe("DeviceViews: the list body in slabs", () => {
  // 100 views: four slabs (32 views each, the last 4).
  const ids = Array.from({ length: 100 }, (_, i) => `d${String(i).padStart(3, "0")}`);

  it("copies only the changed view's slab again; the list stays the views in id order", () => {
    const views = new DeviceViews(new EventBus());
    for (const id of [...ids].reverse()) views.put(device(id));
    expect(body(views).devices.map((d) => d.id)).toEqual(ids);
    const before = views.listJson();
    expect(before.parts).toHaveLength(2 + 4 * 2 - 1); // open, 4 slabs with 3 commas between them, close

    views.put(device("d040", "b")); // in the second slab
    const after = views.listJson();
    expect(after.etag).not.toBe(before.etag);
    const slabs = (l: typeof after) => l.parts.filter((_, i) => i % 2 === 1);
    expect(slabs(after).map((s, i) => s === slabs(before)[i])).toEqual([true, false, true, true]);
    expect(body(views).devices.find((d) => d.id === "d040")).toEqual(device("d040", "b"));
    expect(JSON.parse(Buffer.concat(views.arrayJson()).toString())).toEqual(body(views).devices);
  });

  it("a view that comes or goes reorders the slabs; an empty fleet is an empty list", () => {
    const views = new DeviceViews(new EventBus());
    expect(body(views)).toEqual({ devices: [] });
    for (const id of ids) views.put(device(id));
    views.put(device("d0405")); // sorts between d040 and d041
    views.remove("d000");
    const list = body(views).devices.map((d) => d.id);
    expect(list).toEqual([...ids.slice(1, 41), "d0405", ...ids.slice(41)]);
    for (const id of list) views.remove(id);
    expect(body(views)).toEqual({ devices: [] });
    expect(JSON.parse(Buffer.concat(views.arrayJson()).toString())).toEqual([]);
  });
});
