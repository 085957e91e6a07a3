import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test-support/queue-fixture.js";
import { dataPaths, PathEscapeError, safeJoin } from "./paths.js";

describe("dataPaths", () => {
  it("lays out everything under the data folder, with an optional config folder elsewhere", () => {
    const p = dataPaths("/srv/forge");
    expect(p).toEqual({
      dataDir: "/srv/forge",
      dbFile: "/srv/forge/forge.db",
      firmwareDir: "/srv/forge/firmware",
      configDir: "/srv/forge/config",
      adminTokenFile: "/srv/forge/admin-token",
      keysDir: "/srv/forge/keys",
    });
    expect(dataPaths("/srv/forge", "/config/esphome").configDir).toBe("/config/esphome");
    expect(dataPaths("relative").dataDir).toBe(join(process.cwd(), "relative"));
  });
});

describe("safeJoin", () => {
  it("joins relative segments inside the root", () => {
    const root = tempDir();
    expect(safeJoin(root, "kitchen.yaml")).toBe(join(root, "kitchen.yaml"));
    expect(safeJoin(root, "a/b", "c.bin")).toBe(join(root, "a", "b", "c.bin"));
    expect(safeJoin(root, "a/../b.yaml")).toBe(join(root, "b.yaml"));
    expect(safeJoin(root)).toBe(root);
  });

  it.each([
    ["..", ["..", "x"]],
    ["a climb hidden in a segment", ["a/../../x"]],
    ["an absolute path", ["/etc/passwd"]],
    ["an absolute path after a relative one", ["a", "/etc/passwd"]],
    ["a Windows drive path", ["C:\\Windows\\win.ini"]],
    ["a NUL byte", ["kitchen.yaml\0.png"]],
  ])("refuses %s", (_what, segments) => {
    const root = tempDir();
    expect(() => safeJoin(root, ...segments)).toThrow(PathEscapeError);
  });

  it("refuses a symlink that points outside, also for files below it that do not exist yet", () => {
    const root = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, "secret"), "x");
    symlinkSync(outside, join(root, "escape"));
    symlinkSync(join(outside, "secret"), join(root, "secret-link"));
    expect(() => safeJoin(root, "escape", "secret")).toThrow(PathEscapeError);
    expect(() => safeJoin(root, "escape", "new-file")).toThrow(PathEscapeError);
    expect(() => safeJoin(root, "secret-link")).toThrow(PathEscapeError);
  });

  it("refuses a dangling symlink, which a write would follow out of the root", () => {
    const root = tempDir();
    symlinkSync(join(tempDir(), "not-yet"), join(root, "dangling"));
    expect(() => safeJoin(root, "dangling")).toThrow(PathEscapeError);
  });

  it("allows a symlink that stays inside the root", () => {
    const root = tempDir();
    mkdirSync(join(root, "real"));
    writeFileSync(join(root, "real", "f.yaml"), "x");
    symlinkSync(join(root, "real"), join(root, "alias"));
    expect(safeJoin(root, "alias", "f.yaml")).toBe(join(root, "alias", "f.yaml"));
  });

  it("carries a stable error code for the API", () => {
    try {
      safeJoin(tempDir(), "..");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PathEscapeError);
      expect((err as PathEscapeError).code).toBe("path_escape");
    }
  });
});
