// @vitest-environment happy-dom
// Armed (a flash waiting for its device), asleep and staged (built, not flashed) in the devices
// table and the queue, and the actions they offer.
import { describe, expect, it } from "vitest";
import { FakeSource } from "../../test/support/fixtures/fake-source.js";
import { makeJob, makeSnapshot } from "../../test/support/fixtures/fleet.js";
import type { ForgeDeviceRow } from "./device-row.js";
import type { ForgeDashboard } from "./forge-dashboard.js";
import "./forge-dashboard.js";

type Updatable = HTMLElement & { updateComplete: Promise<unknown> };

const devicesView = (el: ForgeDashboard) => el.shadowRoot!.querySelector("forge-devices-view") as Updatable | null;
const rows = (el: ForgeDashboard) =>
  [...(devicesView(el)?.shadowRoot?.querySelectorAll("forge-device-row") ?? [])] as ForgeDeviceRow[];

async function settle(el: ForgeDashboard) {
  for (let i = 0; i < 4; i++) {
    await el.updateComplete;
    await devicesView(el)?.updateComplete;
    for (const r of rows(el)) await r.updateComplete;
    await (el.shadowRoot!.querySelector("forge-queue-view") as Updatable | null)?.updateComplete;
  }
}

const UNTIL = "2026-12-01T10:00:00Z";
const STAGED_SHA = "cd".repeat(32);

/** Three devices: 0 asleep and outdated, 1 armed, 2 with a current staged build; 0 armed too with `sleeperArmed`. */
async function mount(o: { sleeperArmed?: boolean } = {}) {
  const snap = makeSnapshot(3, 1);
  const [asleep, armed, staged] = snap.devices;
  Object.assign(asleep!, { deepSleep: true, online: false, lastSeen: new Date(Date.now() - 3_600_000).toISOString() });
  Object.assign(armed!, {
    online: false,
    storedFirmware: {
      jobId: 20_500,
      finishedAt: null,
      firmwareSha256: STAGED_SHA,
      esphomeVersion: "2026.10.0",
      current: true,
    },
  });
  Object.assign(staged!, {
    storedFirmware: {
      jobId: 20_077,
      finishedAt: new Date().toISOString(),
      firmwareSha256: STAGED_SHA,
      esphomeVersion: "2026.11.0",
      configHash: staged!.configHash,
      current: true,
    },
  });
  snap.jobs.push(
    makeJob(500, armed!.id, {
      action: "compile_upload",
      state: "waiting_for_device",
      step: "flash",
      blockedReason: `waiting for ${armed!.id} to come online`,
      waitingUntil: UNTIL,
    }),
  );
  if (o.sleeperArmed) {
    snap.jobs.push(
      makeJob(501, asleep!.id, {
        action: "compile_upload",
        state: "waiting_for_device",
        step: "flash",
        blockedReason: `waiting for ${asleep!.id} to wake`,
      }),
    );
  }
  const source = new FakeSource();
  source.push(snap);
  const el = document.createElement("forge-dashboard") as ForgeDashboard;
  el.source = source;
  document.body.append(el);
  await settle(el);
  return { el, source, ids: [asleep!.id, armed!.id, staged!.id] as const };
}

const rowOf = (el: ForgeDashboard, id: string) => rows(el).find((r) => r.device.id === id)!;

describe("armed, asleep and staged devices", () => {
  it("shows an asleep device as asleep, not offline, and arms its install", async () => {
    const { el, source, ids } = await mount();
    const online = rowOf(el, ids[0]).querySelector(".online")!;
    expect(online.textContent).toContain("asleep");
    expect(online.textContent).not.toContain("offline");
    // Offline without deep_sleep stays offline.
    expect(rowOf(el, ids[1]).querySelector(".online")!.textContent).toContain("offline");
    // Install on a device that is away: built now, flashed when it is back.
    const install = rowOf(el, ids[0]).querySelector<HTMLButtonElement>('button[aria-label^="Compile and upload"]')!;
    expect(install.title).toBe("Compile now, upload over the air when the device is back online");
    install.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "compile", args: [[ids[0]], { upload: true, whenOnline: true }] });
    // Online: a plain install.
    rowOf(el, ids[2]).querySelector<HTMLButtonElement>('button[aria-label^="Compile and upload"]')!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "compile", args: [[ids[2]], { upload: true, whenOnline: false }] });
    el.remove();
  });

  it("shows an armed device with its expiry, and Cancel cancels the waiting job", async () => {
    const { el, source, ids } = await mount();
    const row = rowOf(el, ids[1]);
    const status = row.querySelector(".status")!;
    expect(status.querySelector(".chip")!.textContent).toBe("armed");
    expect(status.textContent).toContain("flashes when back online · until ");
    expect(status.getAttribute("title")).toContain(`waiting for ${ids[1]} to come online`);
    // The armed job will flash its build: no second flash is offered meanwhile.
    expect(row.querySelector('button[aria-label^="Install the staged build"]')).toBeNull();
    const upload = row.querySelector<HTMLButtonElement>('button[aria-label^="Upload stored firmware"]')!;
    expect(upload.disabled).toBe(true);
    expect(upload.title).toBe("A flash of this build is armed for the device: cancel it first");
    // A fresh build stays possible: it replaces the armed flash.
    const install = row.querySelector<HTMLButtonElement>('button[aria-label^="Compile and upload"]')!;
    expect(install.disabled).toBe(false);
    expect(install.title).toBe("Build afresh: the new build replaces the armed flash");
    expect(el.shadowRoot!.querySelector(".summary")!.textContent).toContain("0 queued · 1 armed");
    row.querySelector<HTMLButtonElement>('button[aria-label^="Cancel the armed job"]')!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "cancel", args: [500] });
    el.remove();
  });

  it("shows a current staged build and installs it without recompiling", async () => {
    const { el, source, ids } = await mount();
    const row = rowOf(el, ids[2]);
    const line = row.querySelector(".version .staged")!;
    expect(line.textContent).toContain("Staged: build #20077, ESPHome 2026.11.0");
    expect(line.textContent).toContain("current");
    expect(row.querySelector('button[aria-label^="Upload stored firmware"]')).toBeNull();
    const install = row.querySelector<HTMLButtonElement>('button[aria-label^="Install the staged build"]')!;
    expect(install.textContent!.trim()).toBe("Install staged");
    expect(install.title).toContain("without recompiling");
    install.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "upload", args: [[ids[2]], { whenOnline: false }] });
    // No longer current (the config changed since): marked so, and the plain Upload is back.
    source.push({
      type: "device",
      seq: 2,
      op: "upsert",
      id: ids[2],
      device: { ...row.device, storedFirmware: { ...row.device.storedFirmware!, current: false } },
    });
    await settle(el);
    expect(row.querySelector(".version .staged")!.textContent).toContain("not current");
    expect(row.querySelector('button[aria-label^="Install the staged build"]')).toBeNull();
    expect(row.querySelector('button[aria-label^="Upload stored firmware"]')).not.toBeNull();
    el.remove();
  });

  it("arms every outdated device that has nothing under way", async () => {
    const { el, source, ids } = await mount();
    const button = devicesView(el)!.shadowRoot!.querySelector<HTMLButtonElement>("button.arm-outdated")!;
    // Device 0 is the fixture's outdated one; the armed device already has its job.
    expect(button.textContent).toContain("Update 1 outdated when online");
    button.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "compile", args: [[ids[0]], { upload: true, whenOnline: true }] });
    el.remove();
  });

  it("lists an armed job with the queued ones, with its own wording and Cancel", async () => {
    const { el, source, ids } = await mount();
    el.tab = "queue";
    await settle(el);
    const queue = el.shadowRoot!.querySelector("forge-queue-view")!.shadowRoot!;
    const queued = queue.querySelector('section[aria-label="Queued jobs"]')!;
    expect(queued.querySelector("h3")!.textContent).toBe("Queued (1)");
    const item = queued.querySelector("li")!;
    expect(item.textContent).toContain("armed · interactive");
    expect(item.textContent).toContain("waiting for the device");
    const reason = item.querySelector(".armed-reason")!;
    expect(reason.textContent).toContain("Armed · flashes when back online · until ");
    expect(reason.textContent).toContain(`waiting for ${ids[1]} to come online`);
    item.querySelector<HTMLButtonElement>('button[aria-label="Cancel job 500"]')!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "cancel", args: [500] });
    el.remove();
  });

  it("says an armed flash for a sleeping device waits for it to wake, in the queue as in its row", async () => {
    const { el, ids } = await mount({ sleeperArmed: true });
    expect(rowOf(el, ids[0]).querySelector(".status")!.textContent).toContain("flashes when it wakes");
    el.tab = "queue";
    await settle(el);
    const queue = el.shadowRoot!.querySelector("forge-queue-view")!.shadowRoot!;
    const reasons = [...queue.querySelectorAll(".armed-reason")].map((r) => r.textContent ?? "");
    expect(reasons.find((t) => t.includes(`waiting for ${ids[0]} to wake`))).toContain("Armed · flashes when it wakes");
    expect(reasons.find((t) => t.includes(`waiting for ${ids[1]} to come online`))).toContain(
      "Armed · flashes when back online",
    );
    el.remove();
  });
});
