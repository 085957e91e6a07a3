import { describe, expect, it } from "vitest";
import { makeDevice, makeJob, verdict } from "../../test/support/fixtures/fleet.js";
import {
  DEFAULT_QUERY,
  indexJobsByDevice,
  inScope,
  isOutdated,
  onlineState,
  runningVersion,
  matchesQuery,
  rowStatus,
  sortDevices,
  uploadableFirmware,
} from "./device-model.js";

const a = makeDevice(1, { id: "a", friendlyName: "Alpha", tags: ["kitchen"], outdated: false });
const b = makeDevice(2, { id: "b", friendlyName: "Bravo", tags: ["garden", "battery"], outdated: true });
const c = makeDevice(3, {
  id: "c",
  friendlyName: "Charlie",
  tags: ["kitchen"],
  outdated: false,
  trust: { pending: verdict(), running: verdict("revoked", "signer key revoked") },
});
const jobs = new Map([
  [1, makeJob(1, "a", { state: "running", startedAt: "2026-11-20T10:00:00Z" })],
  [2, makeJob(2, "c", { state: "failed", finishedAt: "2026-11-20T09:00:00Z", error: "boom" })],
  [3, makeJob(3, "c", { state: "succeeded", finishedAt: "2026-11-20T08:00:00Z" })],
]);
const idx = indexJobsByDevice(jobs);

describe("device model", () => {
  it("indexes the active and the latest finished job per device", () => {
    expect(idx.get("a")!.active!.id).toBe(1);
    expect(idx.get("c")!.last!.id).toBe(2);
    expect(rowStatus(a, idx.get("a"))).toBe("running");
    expect(rowStatus(c, idx.get("c"))).toBe("failed");
    expect(rowStatus(b, idx.get("b"))).toBe("outdated");
  });

  it("filters by text, tags and state", () => {
    const q = (p: Partial<typeof DEFAULT_QUERY>) =>
      [a, b, c].filter((d) => matchesQuery(d, idx.get(d.id), { ...DEFAULT_QUERY, ...p })).map((d) => d.id);
    expect(q({ text: "brav" })).toEqual(["b"]);
    expect(q({ text: "kitchen char" })).toEqual(["c"]);
    expect(q({ tags: ["kitchen"] })).toEqual(["a", "c"]);
    expect(q({ state: "outdated" })).toEqual(["b"]);
    expect(q({ state: "failed" })).toEqual(["c"]);
    expect(q({ state: "untrusted" })).toEqual(["c"]);
    expect(q({ state: "building" })).toEqual(["a"]);
  });

  it("limits to the card's tag scope (any of)", () => {
    expect([a, b, c].filter((d) => inScope(d, ["garden", "nope"])).map((d) => d.id)).toEqual(["b"]);
    expect([a, b, c].filter((d) => inScope(d, [])).length).toBe(3);
  });

  it("flags a device whose running version differs from what Forge would build", () => {
    expect(isOutdated(a, { online: true, runningVersion: "2026.9.0", swVersion: null })).toBe(true);
    expect(isOutdated(a, { online: true, runningVersion: "2026.10.0", swVersion: null })).toBe(false);
  });

  it("prefers the sidecar's presence (mDNS or HA's reports) over Home Assistant's view in the card", () => {
    const ha = { online: false, runningVersion: "2026.1.0", swVersion: "2026.1.0 (…)" };
    const running = {
      esphomeVersion: "2026.10.0",
      projectName: null,
      projectVersion: null,
      configHash: "0000000b",
      source: "mdns" as const,
      reportedAt: "2026-11-20T10:00:00Z",
      match: "changed_outside_forge" as const,
      note: "ESPHome's config hash changed since Forge's flash",
    };
    const heard = makeDevice(5, { online: true, lastSeen: "2026-11-20T10:00:00Z", running });
    expect(onlineState(heard, ha)).toBe(true);
    expect(runningVersion(heard, ha)).toBe("2026.10.0");
    // Same version as Forge would build, but not Forge's build: outdated all the same.
    expect(isOutdated({ ...heard, outdated: false, targetVersion: "2026.10.0" }, ha)).toBe(true);
    // Not heard by the sidecar (or an older sidecar): Home Assistant's view stands.
    expect(onlineState(makeDevice(6, { online: null }), ha)).toBe(false);
    expect(onlineState(makeDevice(6), undefined)).toBeNull();
  });

  it("sorts by name, status and last build", () => {
    expect(sortDevices([c, a, b], { ...DEFAULT_QUERY }, idx).map((d) => d.id)).toEqual(["a", "b", "c"]);
    expect(sortDevices([c, a, b], { ...DEFAULT_QUERY, descending: true }, idx).map((d) => d.id)).toEqual([
      "c",
      "b",
      "a",
    ]);
    expect(sortDevices([c, a, b], { ...DEFAULT_QUERY, sort: "status" }, idx).map((d) => d.id)).toEqual(["a", "c", "b"]);
  });

  it("offers the last successful build's firmware for Upload even after a failed or blocked upload", () => {
    const built = {
      jobId: 7,
      finishedAt: "2026-11-20T08:00:00Z",
      firmwareSha256: "ab".repeat(32),
      esphomeVersion: "2026.10.0",
    };
    const failedUpload = {
      jobId: 8,
      action: "upload" as const,
      state: "failed" as const,
      finishedAt: "2026-11-20T09:00:00Z",
      firmwareSha256: null,
      esphomeVersion: null,
    };
    expect(uploadableFirmware(makeDevice(4, { lastBuild: failedUpload, storedFirmware: built }))).toBe("ab".repeat(32));
    // The sidecar says there is none (never compiled, or pruned from the archive): no Upload.
    expect(uploadableFirmware(makeDevice(4, { storedFirmware: null }))).toBeNull();
    // A sidecar without the field: the last build's firmware, as before.
    expect(uploadableFirmware(makeDevice(4))).toBe(makeDevice(4).lastBuild!.firmwareSha256);
    expect(uploadableFirmware(makeDevice(4, { lastBuild: failedUpload }))).toBeNull();
  });
});
