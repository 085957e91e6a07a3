// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { FakeSource } from "../../test/support/fixtures/fake-source.js";
import { makeJob, makeSnapshot } from "../../test/support/fixtures/fleet.js";
import { ForgeDeviceRow } from "./device-row.js";
import type { ForgeDashboard } from "./forge-dashboard.js";
import "./forge-dashboard.js";

const settle = async (el: ForgeDashboard) => {
  for (let i = 0; i < 4; i++) {
    await el.updateComplete;
    const view = el.shadowRoot!.querySelector("forge-devices-view") as
      (HTMLElement & { updateComplete: Promise<unknown> }) | null;
    await view?.updateComplete;
    for (const r of view?.shadowRoot?.querySelectorAll("forge-device-row") ?? [])
      await (r as ForgeDeviceRow).updateComplete;
  }
};
const rows = (el: ForgeDashboard) =>
  [
    ...el.shadowRoot!.querySelector("forge-devices-view")!.shadowRoot!.querySelectorAll("forge-device-row"),
  ] as ForgeDeviceRow[];

async function mount(devices = 12) {
  const source = new FakeSource();
  source.push(makeSnapshot(devices, 1));
  const el = document.createElement("forge-dashboard") as ForgeDashboard;
  el.source = source;
  document.body.append(el);
  await settle(el);
  // Big fleets render in frame-sized chunks after the first screen; wait for the last one.
  for (let i = 0; i < 100 && rows(el).length < devices; i++) await new Promise((r) => setTimeout(r, 20));
  await settle(el);
  return { el, source };
}

describe("dashboard", () => {
  it("renders one row per device, the first screen at once and the rest in chunks", async () => {
    const source = new FakeSource();
    source.push(makeSnapshot(120, 1));
    const el = document.createElement("forge-dashboard") as ForgeDashboard;
    el.source = source;
    document.body.append(el);
    await settle(el);
    expect(rows(el).length).toBeGreaterThan(0);
    expect(rows(el).length).toBeLessThan(120);
    for (let i = 0; i < 100 && rows(el).length < 120; i++) await new Promise((r) => setTimeout(r, 20));
    expect(rows(el)).toHaveLength(120);
    expect(el.shadowRoot!.textContent).toContain("120 devices");
  });

  it("re-renders only the row whose job changed", async () => {
    const { el, source } = await mount(30);
    const updates = new Map<string, number>();
    const proto = ForgeDeviceRow.prototype as unknown as { update(c: unknown): void };
    const original = proto.update;
    proto.update = function (this: ForgeDeviceRow, c: unknown) {
      updates.set(this.device.id, (updates.get(this.device.id) ?? 0) + 1);
      original.call(this, c);
    };
    try {
      const target = rows(el)[5]!.device.id;
      source.push({
        type: "job",
        seq: 2,
        op: "upsert",
        id: 5000,
        job: makeJob(5000, target, { state: "running", startedAt: new Date().toISOString(), progress: 40 }),
      });
      await settle(el);
      expect([...updates.keys()]).toEqual([target]);
      const row = rows(el).find((r) => r.device.id === target)!;
      expect(row.querySelector('[role="progressbar"]')!.getAttribute("aria-valuenow")).toBe("40");
    } finally {
      proto.update = original;
    }
  });

  it("sends row actions to the source and shows backend errors inline on the row", async () => {
    const { el, source } = await mount(3);
    const row = rows(el)[0]!;
    source.failWith = "device config is invalid: missing esphome.name";
    row.querySelector<HTMLButtonElement>('button[aria-label^="Compile and upload"]')!.click();
    await new Promise((r) => setTimeout(r, 0));
    await settle(el);
    expect(source.calls[0]).toEqual({
      method: "compile",
      args: [[row.device.id], { upload: true, whenOnline: false }],
    });
    expect(row.querySelector('[role="alert"]')!.textContent).toContain("missing esphome.name");
  });

  it("keeps Upload enabled after a failed upload while the last successful build's firmware is stored", async () => {
    const { el, source } = await mount(3);
    const row = rows(el)[1]!;
    const upload = () => row.querySelector<HTMLButtonElement>('button[aria-label^="Upload stored firmware"]')!;
    const failedUpload = {
      jobId: 90,
      action: "upload" as const,
      state: "failed" as const,
      finishedAt: new Date().toISOString(),
      firmwareSha256: null,
      esphomeVersion: null,
    };
    const stored = {
      jobId: 80,
      finishedAt: new Date().toISOString(),
      firmwareSha256: "cd".repeat(32),
      esphomeVersion: "2026.10.0",
    };
    source.push({
      type: "device",
      seq: 2,
      op: "upsert",
      id: row.device.id,
      device: { ...row.device, lastBuild: failedUpload, storedFirmware: stored },
    });
    await settle(el);
    expect(upload().disabled).toBe(false);
    upload().click();
    await new Promise((r) => setTimeout(r, 0));
    expect(source.calls.at(-1)).toEqual({ method: "upload", args: [[row.device.id], { whenOnline: false }] });
    source.push({
      type: "device",
      seq: 3,
      op: "upsert",
      id: row.device.id,
      device: { ...row.device, lastBuild: failedUpload, storedFirmware: null },
    });
    await settle(el);
    expect(upload().disabled).toBe(true);
    expect(upload().title).toBe("No stored firmware yet");
  });

  it("shows online, last seen and a running version changed outside Forge on the row", async () => {
    const { el, source } = await mount(3);
    const row = rows(el)[2]!;
    const lastSeen = new Date(Date.now() - 3 * 60_000).toISOString();
    source.push({
      type: "device",
      seq: 2,
      op: "upsert",
      id: row.device.id,
      device: {
        ...row.device,
        online: false,
        lastSeen,
        presence: {
          source: "mdns",
          since: lastSeen,
          addresses: ["192.168.1.20"],
          hostname: row.device.name,
          mac: "aabbccddeeff",
          platform: "ESP32",
          board: "esp32dev",
          network: "wifi",
          friendlyName: null,
          apiEncryption: null,
          otaSigned: null,
        },
        running: {
          esphomeVersion: "2026.9.0",
          projectName: null,
          projectVersion: null,
          configHash: null,
          source: "mdns",
          reportedAt: lastSeen,
          match: "changed_outside_forge",
          note: "the device reports ESPHome 2026.9.0, Forge flashed ESPHome 2026.10.0 (job #4)",
        },
      },
    });
    await settle(el);
    const online = row.querySelector(".online")!;
    expect(online.textContent).toContain("offline");
    expect(online.textContent).toContain("3 min ago");
    expect(online.getAttribute("title")).toContain("via mDNS");
    const version = row.querySelector(".version")!;
    expect(version.textContent).toContain("2026.9.0");
    expect(version.querySelector(".chip")!.textContent).toBe("changed outside Forge");
    expect(version.querySelector(".chip")!.getAttribute("title")).toContain("Forge flashed ESPHome 2026.10.0");
  });

  it("opens the log panel for a row", async () => {
    const { el, source } = await mount(3);
    rows(el)[1]!.querySelector<HTMLButtonElement>('button[aria-label^="Open the build log"]')!.click();
    await settle(el);
    const panel = el.shadowRoot!.querySelector("forge-log-panel")!;
    expect(panel).not.toBeNull();
    await (panel as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(source.logListeners.size).toBe(1);
  });
});
