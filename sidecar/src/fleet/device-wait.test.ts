// The judge of "does this flash wait for its device" and its trigger, over a real queue; presence is a
// stand-in with the tracker's interface (describe + "online" events).
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { FirmwareImage } from "@esphome-forge/shared";
import { queueFixture, req } from "../../test-support/queue-fixture.js";
import { NO_PRESENCE_FIELDS, type PresenceFields } from "../presence/presence-view.js";
import { DeviceWaits } from "./device-wait.js";

const SHA = "e".repeat(64);
const image: FirmwareImage = { name: "firmware.ota.bin", sha256: SHA, size: 4096, kind: "ota" };
const REFUSED = "Connecting to 10.0.0.5 port 3232 failed: [Errno 111] Connection refused (after one retry)";

class FakePresence extends EventEmitter<{ online: [string, boolean] }> {
  readonly seen = new Map<string, PresenceFields>();
  describe(d: { id: string }): PresenceFields {
    return this.seen.get(d.id) ?? NO_PRESENCE_FIELDS;
  }
  set(id: string, online: boolean, at = "2026-01-01T10:02:00.000Z") {
    this.seen.set(id, {
      ...NO_PRESENCE_FIELDS,
      online,
      lastSeen: "2026-01-01T10:01:00.000Z",
      presence: { since: at } as PresenceFields["presence"],
    });
    this.emit("online", id, online);
  }
}

function setup(sleepers: string[] = []) {
  const f = queueFixture();
  const presence = new FakePresence();
  let kicks = 0;
  const waits = new DeviceWaits({
    queue: f.queue,
    presence,
    device: (id) => (sleepers.includes(id) ? { deepSleep: true } : {}),
    guard: (_what, fn) => fn(),
    kick: () => kicks++,
    now: () => Date.parse("2026-01-01T12:00:00.000Z"),
  });
  const flashStep = (id: string, params = {}) => {
    const { job } = f.queue.enqueue(req(id, "compile_upload", "interactive", { params }));
    const a = f.queue.assign(job.id, "builder", "test")!;
    return f.queue.toFlashStep(job.id, a.holder, { firmware: [image], esphomeVersion: null }, SHA)!;
  };
  const failOta = (id: number, error: string) => {
    const a = f.queue.assign(id, "flasher", "test")!;
    return f.queue.waits.afterFailedFlash(id, a.holder, error);
  };
  return { f, presence, waits, flashStep, failOta, kicks: () => kicks };
}

describe("DeviceWaits", () => {
  it("offline waits (the reason names the device, since when, last seen, until); online and never seen go now", () => {
    const { presence, flashStep } = setup();
    presence.set("kitchen", false);
    const job = flashStep("kitchen");
    expect(job.state).toBe("waiting_for_device");
    expect(job.blockedReason).toMatch(
      /^kitchen is offline since .+ \(last seen .+\); flashed when it is back, until .+$/,
    );
    presence.set("porch", true);
    expect(flashStep("porch").state).toBe("queued");
    expect(flashStep("attic").state).toBe("queued"); // presence never saw it: the OTA is the test
  });

  it("whenOnline: a device never seen waits until it is; a deep-sleep device reads asleep", () => {
    const { presence, flashStep } = setup(["sensor"]);
    const armed = flashStep("attic", { whenOnline: true });
    expect(armed).toMatchObject({ state: "waiting_for_device" });
    expect(armed.blockedReason).toMatch(/^attic has not been seen online yet/);
    presence.set("sensor", false);
    expect(flashStep("sensor").blockedReason).toMatch(/^sensor is asleep since .*; flashed when it wakes, until /);
  });

  it("a failed OTA waits when the device is offline by then, or could not be reached and sleeps or is armed", () => {
    const { f, presence, waits, flashStep, failOta } = setup(["sensor"]);
    waits.start();
    for (const id of ["kitchen", "porch", "sensor", "gate", "door"]) presence.set(id, true);
    const kitchen = flashStep("kitchen");
    presence.set("kitchen", false); // it went away during the attempt
    expect(failOta(kitchen.id, "anything at all")?.state).toBe("waiting_for_device");
    // Online per presence, and the OTA failed for another reason (or the device is neither asleep nor armed): it stands.
    expect(failOta(flashStep("porch").id, "Error: not enough space (0x89)")).toBeUndefined();
    expect(failOta(flashStep("gate").id, REFUSED)).toBeUndefined();
    const sensor = failOta(flashStep("sensor").id, REFUSED);
    expect(sensor?.blockedReason).toMatch(/^sensor sleeps \(deep_sleep\) and was not awake for the flash/);
    // Presence then sees it go to sleep: the reason says so, the deadline stays.
    presence.set("sensor", false);
    expect(f.queue.get(sensor!.id)).toMatchObject({
      state: "waiting_for_device",
      blockedReason: expect.stringMatching(/^sensor is asleep since /),
      waitingUntil: sensor!.waitingUntil,
    });
    const armed = failOta(flashStep("door", { whenOnline: true }).id, REFUSED);
    expect(armed?.blockedReason).toMatch(/^door could not be reached; flashed when it is online again/);
  });

  it("puts waiting flashes back when the device comes online, and at start for devices online already", () => {
    const { f, presence, waits, flashStep, kicks } = setup();
    presence.set("kitchen", false);
    presence.set("porch", false);
    const kitchen = flashStep("kitchen");
    const porch = flashStep("porch");
    presence.seen.set("porch", { ...presence.describe({ id: "porch" }), online: true }); // online while it was down
    waits.start();
    expect(f.queue.get(porch.id)!.state).toBe("queued");
    expect(f.queue.get(kitchen.id)!.state).toBe("waiting_for_device");
    expect(kicks()).toBe(1);
    presence.set("kitchen", true);
    expect(f.queue.get(kitchen.id)!.state).toBe("queued");
    expect(kicks()).toBe(2);
    expect(f.queue.readLog(kitchen.id).text).toContain("the device is online again; flashing it now");
  });
});
