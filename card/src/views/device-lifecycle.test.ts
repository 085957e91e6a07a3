import { describe, expect, it } from "vitest";
import { makeDevice, makeJob } from "../../test/support/fixtures/fleet.js";
import {
  armedText,
  armedTitle,
  installableStaged,
  isAsleep,
  isWaiting,
  outdatedToArm,
  stagedFirmware,
  stagedRefusal,
  stagedText,
} from "./device-lifecycle.js";

const NOW = Date.parse("2026-11-20T10:00:00Z");
const sha = (c: string) => c.repeat(64);
const local = (iso: string) => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
};

describe("armed flashes", () => {
  const waiting = makeJob(7, "a", {
    action: "compile_upload",
    state: "waiting_for_device",
    blockedReason: "waiting for a to come online (offline since 09:40)",
    waitingUntil: "2026-11-27T10:00:00Z",
  });

  it("says what happens and until when", () => {
    expect(isWaiting(waiting)).toBe(true);
    expect(isWaiting(makeJob(8, "a", { state: "blocked" }))).toBe(false);
    expect(isWaiting(null)).toBe(false);
    expect(armedText(waiting, NOW)).toBe(`Armed · flashes when back online · until ${local("2026-11-27T10:00:00Z")}`);
    expect(armedText({ ...waiting, waitingUntil: null }, NOW)).toBe("Armed · flashes when back online");
    expect(armedText({ ...waiting, waitingUntil: null }, NOW, true)).toBe("Armed · flashes when it wakes");
    expect(armedTitle(waiting)).toContain("offline since 09:40");
    expect(armedTitle(waiting)).toContain("the wait ends");
  });
});

describe("asleep", () => {
  it("is offline with deep_sleep in the config; online or unknown is not asleep", () => {
    expect(isAsleep(makeDevice(1, { deepSleep: true, online: false }))).toBe(true);
    expect(isAsleep(makeDevice(1, { deepSleep: true, online: true }))).toBe(false);
    expect(isAsleep(makeDevice(1, { deepSleep: true, online: null }))).toBe(false);
    expect(isAsleep(makeDevice(1, { deepSleep: false, online: false }))).toBe(false);
    // HA's view stands in when the sidecar has not heard of the device.
    expect(isAsleep(makeDevice(1, { deepSleep: true }), { online: false, runningVersion: null, swVersion: null })).toBe(
      true,
    );
  });
});

describe("staged firmware", () => {
  const flashed = {
    jobId: 10,
    finishedAt: "2026-11-20T09:00:00Z",
    configHash: sha("1"),
    esphomeVersion: "2026.9.0",
    firmwareSha256: sha("a"),
  };
  const staged = {
    jobId: 12,
    finishedAt: "2026-11-20T09:30:00Z",
    firmwareSha256: sha("b"),
    esphomeVersion: "2026.10.0",
    configHash: sha("1"),
    current: true,
  };

  it("names a build that is not what runs, and whether Install flashes it as it is", () => {
    const d = makeDevice(1, { lastFlash: flashed, storedFirmware: staged });
    expect(stagedFirmware(d)).toBe(staged);
    expect(stagedText(staged)).toBe("Staged: build #12, ESPHome 2026.10.0");
    expect(installableStaged(d)).toBe(staged);
    expect(
      installableStaged(makeDevice(1, { lastFlash: flashed, storedFirmware: { ...staged, current: false } })),
    ).toBe(null);
    expect(stagedFirmware(makeDevice(1, { lastFlash: null, storedFirmware: staged }))).toBe(staged);
    expect(stagedFirmware(makeDevice(1, { storedFirmware: null }))).toBe(null);
  });

  it("is no news once it was flashed", () => {
    // The same image.
    expect(
      stagedFirmware(makeDevice(1, { lastFlash: { ...flashed, firmwareSha256: sha("b") }, storedFirmware: staged })),
    ).toBe(null);
    // An older sidecar's upload flashed it after it was built (its lastFlash names no digest nor version).
    const upload = { ...flashed, jobId: 13, esphomeVersion: null, firmwareSha256: null };
    expect(stagedFirmware(makeDevice(1, { lastFlash: upload, storedFirmware: staged }))).toBe(null);
    // A flash of another config after it does not hide it.
    expect(
      stagedFirmware(makeDevice(1, { lastFlash: { ...upload, configHash: sha("2") }, storedFirmware: staged })),
    ).toBe(staged);
    // An upload that names its image: an older image of the same config sent later hides nothing.
    const older = { ...flashed, jobId: 13, firmwareSha256: sha("9") };
    expect(stagedFirmware(makeDevice(1, { lastFlash: older, storedFirmware: staged }))).toBe(staged);
  });
});

describe("update outdated when online", () => {
  it("arms the outdated devices in scope that read and have nothing under way", () => {
    const devices = [
      makeDevice(1, { id: "a", outdated: true }),
      makeDevice(2, { id: "b", outdated: false }),
      makeDevice(3, { id: "c", outdated: true, error: "bad yaml" }),
      makeDevice(4, { id: "d", outdated: true }),
      makeDevice(5, { id: "e", outdated: true, tags: ["elsewhere"] }),
    ];
    const busy = makeJob(1, "d", { state: "waiting_for_device" });
    const ids = outdatedToArm(
      devices,
      (d) => d.id !== "e",
      new Map(),
      (id) => (id === "d" ? busy : null),
    );
    expect(ids).toEqual(["a"]);
  });
});

describe("a staged build content trust refuses", () => {
  it("is not offered as Install staged", () => {
    const staged = {
      jobId: 12,
      finishedAt: null,
      firmwareSha256: "b".repeat(64),
      esphomeVersion: "2026.10.0",
      configHash: "1".repeat(64),
      current: true,
    };
    const base = makeDevice(1, { lastFlash: null, storedFirmware: staged });
    expect(installableStaged(base)).toBe(staged);
    for (const state of ["revoked", "invalid"] as const) {
      const d = { ...base, trust: { ...base.trust, pending: { ...base.trust.pending, state } } };
      expect(stagedRefusal(d)).toBe(state);
      expect(installableStaged(d)).toBe(null);
      expect(stagedFirmware(d)).toBe(staged); // still named, marked refused
    }
  });
});
