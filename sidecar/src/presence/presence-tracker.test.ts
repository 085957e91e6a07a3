import { describe, expect, it } from "vitest";
import { HA_PRESENCE_FRESH_MS } from "@esphome-forge/shared";
import { openDatabase } from "../db/database.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import { ManualClock } from "../util/clock.js";
import { factsFromTxt } from "./esphome-txt.js";
import type { Advertisement } from "./mdns-cache.js";
import { PresenceStore } from "./presence-store.js";
import { PresenceTracker } from "./presence-tracker.js";
import { LAST_SEEN_REFRESH_MS } from "./presence-view.js";
import type { FlashRef } from "./running-match.js";

const SILENCE = 180_000;
const inv = (id: string, mac: string | null = null) => ({ id, name: id, mac }) as InventoryDevice;

function ad(instance: string, txt: Record<string, string> = {}, txtFresh = true): Advertisement {
  const kv = { version: "2026.10.0", mac: "aabbccddee01", config_hash: "0000000a", ...txt };
  return {
    instance,
    host: `${instance}.local`,
    port: 6053,
    addresses: ["192.168.1.5"],
    facts: factsFromTxt(Object.entries(kv).map(([k, v]) => `${k}=${v}`)),
    hasTxt: true,
    txtFresh,
  };
}

function setup(db = openDatabase(":memory:"), clock = new ManualClock()) {
  const devices = [inv("kitchen"), inv("porch")];
  const flashes = new Map<string, FlashRef>();
  const make = () =>
    new PresenceTracker({
      clock,
      offlineAfterMs: () => SILENCE,
      devices: () => devices,
      device: (id) => devices.find((d) => d.id === id),
      lastFlash: (id) => flashes.get(id) ?? null,
      store: new PresenceStore(db),
    });
  const t = make();
  const changes: string[] = [];
  const online: [string, boolean][] = [];
  t.on("change", (id) => changes.push(id));
  t.on("online", (id, on) => online.push([id, on]));
  const view = (id: string, tracker = t) => tracker.describe({ id }, flashes.get(id) ?? null);
  return { t, clock, db, devices, flashes, changes, online, view, make };
}

describe("presence tracker", () => {
  it("online when heard, offline after the silence; only the device concerned changes", () => {
    const { t, clock, changes, online, view } = setup();
    t.mdnsSeen(ad("kitchen"));
    t.mdnsSeen(ad("hallway")); // no such device: ignored
    expect(changes).toEqual(["kitchen"]);
    expect(view("kitchen")).toMatchObject({ online: true, presence: { source: "mdns", addresses: ["192.168.1.5"] } });
    expect(view("porch").online).toBeNull();
    clock.advance(SILENCE);
    t.sweep();
    expect(view("kitchen").online).toBe(true); // not longer than the silence yet
    clock.advance(1);
    t.sweep();
    expect(view("kitchen")).toMatchObject({
      online: false,
      lastSeen: new Date(clock.now() - SILENCE - 1).toISOString(),
    });
    expect(online).toEqual([
      ["kitchen", true],
      ["kitchen", false],
    ]);
    expect(changes).toEqual(["kitchen", "kitchen"]);
  });

  it("a goodbye is offline at once; repeated answers re-announce lastSeen only every few minutes", () => {
    const { t, clock, changes, view } = setup();
    t.mdnsSeen(ad("kitchen"));
    for (let i = 0; i < 4; i++) {
      clock.advance(60_000);
      t.mdnsSeen(ad("kitchen"));
    }
    expect(changes).toHaveLength(1);
    expect(view("kitchen").lastSeen).toBe(new Date(clock.now() - 4 * 60_000).toISOString());
    clock.advance(LAST_SEEN_REFRESH_MS - 4 * 60_000);
    t.mdnsSeen(ad("kitchen"));
    expect(changes).toHaveLength(2);
    expect(view("kitchen").lastSeen).toBe(new Date(clock.now()).toISOString());
    t.mdnsGone("kitchen");
    expect(view("kitchen").online).toBe(false);
    expect(changes).toHaveLength(3);
  });

  it("a flood of the same answer costs one full pass per second, and lastSeen still moves", () => {
    const { t, clock, flashes, changes } = setup();
    let lookups = 0;
    flashes.get = () => (lookups++, undefined);
    for (let i = 0; i < 1000; i++) {
      t.mdnsSeen(ad("kitchen"));
      clock.advance(1);
    }
    expect(lookups).toBeLessThanOrEqual(2);
    expect(changes).toEqual(["kitchen"]);
    clock.advance(LAST_SEEN_REFRESH_MS);
    t.mdnsSeen(ad("kitchen"));
    expect(changes).toEqual(["kitchen", "kitchen"]);
  });

  it("precedence: online if either source says so; running from mDNS while heard, else HA while connected", () => {
    const { t, clock, view } = setup();
    t.haReport("kitchen", { source: "ha", online: true, esphomeVersion: "2026.9.1", projectVersion: "2.0" });
    expect(view("kitchen")).toMatchObject({ online: true, presence: { source: "ha" }, running: { source: "ha" } });
    t.mdnsSeen(ad("kitchen"));
    expect(view("kitchen")).toMatchObject({
      presence: { source: "mdns", mac: "aabbccddee01" },
      running: { source: "mdns", esphomeVersion: "2026.10.0" },
    });
    t.mdnsGone("kitchen");
    expect(view("kitchen")).toMatchObject({ online: true, presence: { source: "ha" }, running: { source: "ha" } });
    clock.advance(1000);
    t.haReport("kitchen", { source: "ha", online: false, esphomeVersion: "2026.9.1" });
    // Both offline: HA's report is the newest word on the firmware.
    expect(view("kitchen")).toMatchObject({ online: false, running: { source: "ha", esphomeVersion: "2026.9.1" } });
  });

  it("HA's reports expire when HA stops refreshing them; an offline report's lastSeen is never in the future", () => {
    const { t, clock, view } = setup();
    t.haReport("porch", { source: "ha", online: true });
    clock.advance(HA_PRESENCE_FRESH_MS + 1);
    t.sweep();
    expect(view("porch").online).toBe(false);
    t.haReport("porch", { source: "ha", online: false, lastSeen: new Date(clock.now() + 3_600_000).toISOString() });
    expect(view("porch").lastSeen).toBe(new Date(clock.now()).toISOString());
  });

  it("the baseline is the first fresh TXT after Forge's flash; it survives a restart, and a removed device is forgotten", () => {
    const { t, clock, db, flashes, view, make } = setup();
    t.mdnsSeen(ad("kitchen", { config_hash: "00000001" }));
    flashes.set("kitchen", {
      jobId: 5,
      finishedAt: clock.now() + 10,
      esphomeVersion: "2026.10.0",
      projectVersion: null,
    });
    clock.advance(5);
    t.mdnsSeen(ad("kitchen", { config_hash: "00000001" })); // before the flash ended: old firmware
    expect(view("kitchen").running?.match).toBe("unconfirmed");
    clock.advance(1000);
    t.mdnsSeen(ad("kitchen", { config_hash: "00000002" }, false)); // cached TXT, not first-hand
    expect(view("kitchen").running?.match).toBe("unconfirmed");
    t.mdnsSeen(ad("kitchen", { config_hash: "00000002" })); // a repeat within a second: only noted
    expect(view("kitchen").running?.match).toBe("unconfirmed");
    clock.advance(1000);
    t.mdnsSeen(ad("kitchen", { config_hash: "00000002" }));
    expect(view("kitchen").running?.match).toBe("matches");
    clock.advance(1000);
    t.mdnsSeen(ad("kitchen", { config_hash: "00000003" }));
    expect(view("kitchen").running).toMatchObject({ match: "changed_outside_forge" });
    t.flush();

    const again = make();
    expect(again.describe({ id: "kitchen" }, flashes.get("kitchen")!).running).toMatchObject({
      configHash: "00000003",
      match: "changed_outside_forge",
    });
    again.deviceRemoved("kitchen");
    expect(make().describe({ id: "kitchen" }, null).online).toBeNull();
    expect(db.prepare("SELECT count(*) AS n FROM device_running_baseline").get()).toEqual({ n: 0 });
  });

  it("matches a device added later, and lets a caller wait until a device is online", async () => {
    const { t, devices, view } = setup();
    t.mdnsSeen(ad("garage"));
    expect(view("garage").online).toBeNull();
    devices.push(inv("garage"));
    t.inventoryChanged();
    const waiting = t.waitUntilOnline("garage");
    t.mdnsSeen(ad("garage"));
    await waiting;
    await t.waitUntilOnline("garage"); // already online: at once
    const abort = new AbortController();
    const never = t.waitUntilOnline("porch", abort.signal);
    abort.abort(new Error("cancelled"));
    await expect(never).rejects.toThrow("cancelled");
    expect(t.listenerCount("online")).toBe(1); // the test's own: waiters clean up
  });
});
