import { describe, expect, it } from "vitest";
import type { Job, JobAction } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { JobQueue } from "../queue/job-queue.js";
import { DeviceView } from "./device-view.js";

const sha = (c: string) => c.repeat(64);

/** The queue reads DeviceView makes, over a list of finished jobs (newest last). */
function fakeQueue(jobs: Job[]): JobQueue {
  const newestFirst = () => [...jobs].reverse();
  return {
    lastOf: (deviceId: string, actions: JobAction[]) =>
      newestFirst().find((j) => j.deviceId === deviceId && actions.includes(j.action)),
    lastSucceeded: (deviceId: string, actions: JobAction[]) =>
      newestFirst().find((j) => j.deviceId === deviceId && j.state === "succeeded" && actions.includes(j.action)),
    // The staged build: a compile that succeeded, or a compile_upload whose build was approved.
    lastApprovedBuild: (deviceId: string) =>
      newestFirst().find(
        (j) =>
          j.deviceId === deviceId &&
          ((j.action === "compile" && j.state === "succeeded") ||
            (j.action === "compile_upload" && (j.state === "succeeded" || j.flashSha256))),
      ),
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
    expect(d.storedFirmware).toMatchObject({
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

describe("DeviceView presence", () => {
  const verified = {
    state: "verified" as const,
    reason: "signed",
    signer: "w1",
    buildSequence: 1,
    checkedAt: null,
    firmwareSha256: sha("a"),
  };
  const trust = { verdicts: () => ({ pending: verified, running: verified }) };
  const running = (match: "matches" | "changed_outside_forge") => ({
    esphomeVersion: "2026.9.0",
    projectName: null,
    projectVersion: null,
    configHash: null,
    source: "mdns" as const,
    reportedAt: "2026-11-05T00:00:00.000Z",
    match,
    note: "the device reports ESPHome 2026.9.0, Forge flashed ESPHome 2026.10.0 (job #1)",
  });

  it("adds the presence fields, handing the source what Forge last flashed", () => {
    const seen: unknown[] = [];
    const presence = {
      describe: (_d: InventoryDevice, flash: unknown) => {
        seen.push(flash);
        return { online: true, lastSeen: "2026-11-05T00:00:00.000Z", presence: null, running: running("matches") };
      },
    };
    const jobs = [job(1, "compile_upload", "succeeded", sha("a"))];
    const d = new DeviceView(fakeQueue(jobs), () => null, trust, undefined, presence).toDevice(device);
    expect(d).toMatchObject({ online: true, lastSeen: "2026-11-05T00:00:00.000Z", running: { match: "matches" } });
    expect(d.trust.running.state).toBe("verified");
    expect(seen).toEqual([
      {
        jobId: 1,
        finishedAt: Date.parse("2026-11-01T00:00:00.000Z"),
        esphomeVersion: "2026.10.0",
        projectVersion: null,
      },
    ]);
  });

  it("running firmware changed outside Forge is not shown as verified; no presence source leaves the fields null", () => {
    const presence = {
      describe: () => ({ online: true, lastSeen: null, presence: null, running: running("changed_outside_forge") }),
    };
    const d = new DeviceView(fakeQueue([]), () => null, trust, undefined, presence).toDevice(device);
    expect(d.trust.running).toMatchObject({ state: "unknown", firmwareSha256: null });
    expect(d.trust.running.reason).toContain("changed outside Forge: the device reports ESPHome 2026.9.0");
    expect(d.trust.pending.state).toBe("verified");
    expect(new DeviceView(fakeQueue([]), () => null).toDevice(device)).toMatchObject({
      online: null,
      lastSeen: null,
      presence: null,
      running: null,
    });
  });

  it("a view built before trust was checked (start-up) still carries presence, and says what runs is not verified", () => {
    const presence = {
      describe: () => ({ online: false, lastSeen: null, presence: null, running: running("changed_outside_forge") }),
    };
    const lazyTrust = {
      verdicts: (_id: string, _sha: string | null, o?: { cachedOnly?: boolean }) =>
        o?.cachedOnly ? null : { pending: verified, running: verified },
    };
    const view = new DeviceView(fakeQueue([]), () => null, lazyTrust, undefined, presence);
    const early = view.toDevice(device, { cachedTrustOnly: true });
    expect(early.online).toBe(false);
    expect(early.trust.pending.reason).toContain("not checked yet");
    expect(early.trust.running.reason).toContain("changed outside Forge");
    expect(view.toDevice(device).trust.running.reason).toContain("changed outside Forge");
  });
});
