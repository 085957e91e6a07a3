import { describe, expect, it } from "vitest";
import type { TrustVerdict } from "@esphome-forge/shared";
import { compareRunning, runningVerdict, type FlashRef } from "./running-match.js";

const flash: FlashRef = { jobId: 7, finishedAt: 1000, esphomeVersion: "2026.10.0", projectVersion: "1.2.0" };
const run = (o: Partial<Parameters<typeof compareRunning>[0]> = {}) => ({
  esphomeVersion: "2026.10.0",
  projectVersion: "1.2.0",
  configHash: "0000000a",
  lastReportAt: 2000,
  ...o,
});

describe("running firmware against Forge's last flash", () => {
  it("not flashed, unconfirmed before the device reports again, then matches", () => {
    expect(compareRunning(run(), null, null).match).toBe("not_flashed");
    expect(compareRunning(run({ lastReportAt: 1000 }), flash, null).match).toBe("unconfirmed");
    expect(compareRunning(run(), flash, null)).toEqual({ match: "matches", note: expect.stringContaining("job #7") });
  });

  it("another ESPHome or project version, or another config hash after the baseline, is a change outside Forge", () => {
    expect(compareRunning(run({ esphomeVersion: "2026.9.1" }), flash, null)).toMatchObject({
      match: "changed_outside_forge",
      note: expect.stringContaining("ESPHome 2026.9.1, Forge flashed ESPHome 2026.10.0"),
    });
    expect(compareRunning(run({ projectVersion: "1.1.0" }), flash, null).match).toBe("changed_outside_forge");
    const baseline = { flashJobId: 7, configHash: "0000000a" };
    expect(compareRunning(run(), flash, baseline).match).toBe("matches");
    expect(compareRunning(run({ configHash: "0000000b" }), flash, baseline).match).toBe("changed_outside_forge");
    // A baseline of an older flash says nothing about this one.
    expect(compareRunning(run({ configHash: "0000000b" }), flash, { ...baseline, flashJobId: 6 }).match).toBe(
      "matches",
    );
  });

  it("compares only what both sides know, and a dev build with a -dev version", () => {
    expect(compareRunning(run({ projectVersion: null }), { ...flash, projectVersion: null }, null).match).toBe(
      "matches",
    );
    expect(compareRunning(run({ esphomeVersion: null }), flash, null).match).toBe("matches");
    const dev = { ...flash, esphomeVersion: "dev" };
    expect(compareRunning(run({ esphomeVersion: "2026.11.0-dev" }), dev, null).match).toBe("matches");
    expect(compareRunning(run({ esphomeVersion: "2026.10.0" }), dev, null).match).toBe("changed_outside_forge");
  });

  it("a changed device's running verdict is unknown with the reason; other verdicts pass through", () => {
    const verified: TrustVerdict = {
      state: "verified",
      reason: "signed by worker w1",
      signer: "w1",
      buildSequence: 3,
      checkedAt: "2026-11-01T00:00:00.000Z",
      firmwareSha256: "a".repeat(64),
    };
    expect(runningVerdict(verified, "matches", "")).toBe(verified);
    expect(runningVerdict(verified, null, "")).toBe(verified);
    const v = runningVerdict(verified, "changed_outside_forge", "the device reports ESPHome 2026.9.1");
    expect(v).toMatchObject({ state: "unknown", signer: null, firmwareSha256: null });
    expect(v.reason).toBe(
      "changed outside Forge: the device reports ESPHome 2026.9.1; the verdict of what Forge flashed (verified) does not apply to it",
    );
  });
});
