import { describe, expect, it } from "vitest";
import type { Job, JobAction } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { JobQueue } from "../queue/job-queue.js";
import { DeviceView } from "./device-view.js";

const sha = (c: string) => c.repeat(64);

/** The two queue reads DeviceView makes, over a list of finished jobs (newest last). */
function fakeQueue(jobs: Job[]): JobQueue {
  const newestFirst = () => [...jobs].reverse();
  return {
    lastOf: (deviceId: string, actions: JobAction[]) =>
      newestFirst().find((j) => j.deviceId === deviceId && actions.includes(j.action)),
    lastSucceeded: (deviceId: string, actions: JobAction[]) =>
      newestFirst().find((j) => j.deviceId === deviceId && j.state === "succeeded" && actions.includes(j.action)),
  } as unknown as JobQueue;
}

function job(id: number, action: JobAction, state: Job["state"], firmware: string | null): Job {
  return {
    id,
    deviceId: "porch",
    action,
    state,
    finishedAt: `2026-11-0${id}T00:00:00.000Z`,
    esphomeVersion: "2026.10.0",
    configHash: sha("c"),
    firmware: firmware
      ? [
          { kind: "factory", sha256: sha("f"), name: "factory.bin", size: 2 },
          { kind: "ota", sha256: firmware, name: "ota.bin", size: 1 },
        ]
      : [],
  } as unknown as Job;
}

const device = { id: "porch", pinnedVersion: null, configHash: sha("c"), error: null } as unknown as InventoryDevice;

describe("DeviceView.storedFirmware", () => {
  it("is the last successful compile's OTA image, even after a failed or blocked upload", () => {
    const jobs = [job(1, "compile", "succeeded", sha("a")), job(2, "upload", "failed", null)];
    const d = new DeviceView(fakeQueue(jobs), () => "2026.10.0").toDevice(device);
    expect(d.lastBuild).toMatchObject({ jobId: 2, action: "upload", state: "failed", firmwareSha256: null });
    expect(d.storedFirmware).toEqual({
      jobId: 1,
      finishedAt: "2026-11-01T00:00:00.000Z",
      firmwareSha256: sha("a"),
      esphomeVersion: "2026.10.0",
    });
  });

  it("ignores failed compiles and uploads, and follows a newer successful compile_upload", () => {
    const jobs = [
      job(1, "compile", "succeeded", sha("a")),
      job(2, "compile_upload", "succeeded", sha("b")),
      job(3, "compile", "failed", null),
      job(4, "upload", "succeeded", sha("a")),
    ];
    expect(new DeviceView(fakeQueue(jobs), () => null).toDevice(device).storedFirmware?.firmwareSha256).toBe(sha("b"));
  });

  it("is null before any successful compile and once the archive no longer holds the image", () => {
    expect(
      new DeviceView(fakeQueue([job(1, "compile", "failed", null)]), () => null).toDevice(device).storedFirmware,
    ).toBeNull();
    const built = [job(1, "compile", "succeeded", sha("a"))];
    const pruned = new DeviceView(
      fakeQueue(built),
      () => null,
      undefined,
      (s) => s !== sha("a"),
    );
    expect(pruned.toDevice(device).storedFirmware).toBeNull();
  });
});
