import { describe, expect, it } from "vitest";
import { tempDir } from "../../test-support/queue-fixture.js";
import { DiskState } from "./disk-state.js";

const MiB = 1024 * 1024;

function disk(reserveMb: number, free: { bytes: number }, probe: { fails: boolean } = { fails: false }) {
  const logs: string[] = [];
  const changes: boolean[] = [];
  const d = new DiskState({
    dir: tempDir(),
    reserveBytes: reserveMb * MiB,
    log: (m) => logs.push(m),
    freeBytes: () => free.bytes,
    probe: () => {
      if (probe.fails) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    },
  });
  d.on("change", (full) => changes.push(full));
  return { d, logs, changes };
}

describe("DiskState", () => {
  it("enters on a write that failed for lack of space, and only then", () => {
    const { d, changes } = disk(0, { bytes: 100 * MiB });
    expect(d.report(new Error("some other failure"))).toBe(false);
    expect(d.full).toBe(false);
    const sqliteFull = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    expect(d.report(sqliteFull, "storing output")).toBe(true);
    expect(d.full).toBe(true);
    expect(d.problem()).toMatchObject({ code: "disk_full" });
    expect(d.problem()!.message).toMatch(/storing output failed: database or disk is full/);
    expect(d.report(Object.assign(new Error("x"), { code: "ENOSPC" }))).toBe(true);
    expect(changes).toEqual([true]); // entered once
    d.stop();
  });

  it("enters below the reserve and leaves only above the resume mark, after a probe write", () => {
    const free = { bytes: 100 * MiB };
    const probe = { fails: false };
    const { d, changes } = disk(64, free, probe);
    d.check();
    expect(d.full).toBe(false);
    free.bytes = 63 * MiB;
    d.check();
    expect(d.full).toBe(true);
    free.bytes = 100 * MiB; // above the reserve, below the resume mark (2 × 64 MiB): stays
    d.check();
    expect(d.full).toBe(true);
    free.bytes = 200 * MiB;
    probe.fails = true; // statfs says yes, a real write says no (a quota): stays
    d.check();
    expect(d.full).toBe(true);
    probe.fails = false;
    d.check();
    expect(d.full).toBe(false);
    expect(d.problem()).toBeNull();
    expect(changes).toEqual([true, false]);
    d.stop();
  });

  it("guard swallows a full disk and rethrows anything else", () => {
    const { d } = disk(0, { bytes: 100 * MiB });
    expect(
      d.guard("a write", () => {
        throw Object.assign(new Error("full"), { code: "SQLITE_FULL" });
      }),
    ).toBeUndefined();
    expect(d.full).toBe(true);
    expect(() =>
      d.guard("a write", () => {
        throw new TypeError("a bug");
      }),
    ).toThrow(TypeError);
    expect(d.guard("a read", () => 42)).toBe(42);
    d.stop();
  });
});
