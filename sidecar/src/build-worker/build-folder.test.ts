import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test-support/helpers.js";
import { PathEscapeError, deviceBuildDir, resolveInside, writeConfigFiles } from "./build-folder.js";

describe("resolveInside", () => {
  const root = "/state/builds/kitchen";
  it.each(["../x.yaml", "a/../../x.yaml", "/etc/passwd", "a\\..\\..\\x", "C:/x", "", "a\0b", "."])(
    "refuses %j",
    (p) => {
      expect(() => resolveInside(root, p)).toThrow(PathEscapeError);
    },
  );
  it("keeps ordinary relative paths inside", () => {
    expect(resolveInside(root, "kitchen.yaml")).toBe(`${root}/kitchen.yaml`);
    expect(resolveInside(root, "common/./wifi.yaml")).toBe(`${root}/common/wifi.yaml`);
  });
  it("refuses device ids that are not file stems", () => {
    expect(() => deviceBuildDir("/state", "../etc")).toThrow(PathEscapeError);
  });
});

describe("writeConfigFiles", () => {
  it("writes the files and returns the main config's absolute path", async () => {
    const dir = path.join(tempDir(), "builds", "kitchen");
    const main = await writeConfigFiles(
      dir,
      [
        { path: "kitchen.yaml", content: "esphome:\n  name: kitchen\n" },
        { path: "common/wifi.yaml", content: "wifi: {}\n" },
      ],
      "kitchen.yaml",
    );
    expect(main).toBe(path.join(dir, "kitchen.yaml"));
    expect(readFileSync(path.join(dir, "common/wifi.yaml"), "utf8")).toBe("wifi: {}\n");
  });

  it("writes nothing when any path escapes (checked before the first write)", async () => {
    const root = tempDir();
    const dir = path.join(root, "builds", "kitchen");
    await expect(
      writeConfigFiles(
        dir,
        [
          { path: "kitchen.yaml", content: "x" },
          { path: "../../escaped.yaml", content: "x" },
        ],
        "kitchen.yaml",
      ),
    ).rejects.toThrow(/refusing config file path/);
    expect(existsSync(path.join(dir, "kitchen.yaml"))).toBe(false);
    expect(existsSync(path.join(root, "escaped.yaml"))).toBe(false);
  });

  it("does not follow a symlinked folder out of the build folder", async () => {
    const root = tempDir();
    const outside = path.join(root, "outside");
    mkdirSync(outside);
    const dir = path.join(root, "builds", "kitchen");
    mkdirSync(dir, { recursive: true });
    symlinkSync(outside, path.join(dir, "common"));
    await expect(
      writeConfigFiles(
        dir,
        [
          { path: "kitchen.yaml", content: "x" },
          { path: "common/wifi.yaml", content: "x" },
        ],
        "kitchen.yaml",
      ),
    ).rejects.toThrow(/leaves the build folder/);
    expect(existsSync(path.join(outside, "wifi.yaml"))).toBe(false);
  });

  it("replaces a symlinked file instead of writing through it", async () => {
    const root = tempDir();
    const target = path.join(root, "target.txt");
    const dir = path.join(root, "builds", "kitchen");
    mkdirSync(dir, { recursive: true });
    symlinkSync(target, path.join(dir, "kitchen.yaml"));
    await writeConfigFiles(dir, [{ path: "kitchen.yaml", content: "new" }], "kitchen.yaml");
    expect(existsSync(target)).toBe(false);
    expect(readFileSync(path.join(dir, "kitchen.yaml"), "utf8")).toBe("new");
  });

  it("removes files an earlier job wrote that this one no longer has, and keeps ESPHome's cache", async () => {
    const dir = path.join(tempDir(), "builds", "kitchen");
    await writeConfigFiles(
      dir,
      [
        { path: "kitchen.yaml", content: "a" },
        { path: "old.yaml", content: "b" },
      ],
      "kitchen.yaml",
    );
    mkdirSync(path.join(dir, ".esphome", "build"), { recursive: true });
    await writeConfigFiles(dir, [{ path: "kitchen.yaml", content: "a2" }], "kitchen.yaml");
    expect(existsSync(path.join(dir, "old.yaml"))).toBe(false);
    expect(existsSync(path.join(dir, ".esphome", "build"))).toBe(true);
  });

  it("insists that the main config is among the files", async () => {
    const dir = path.join(tempDir(), "builds", "kitchen");
    await expect(writeConfigFiles(dir, [{ path: "other.yaml", content: "x" }], "kitchen.yaml")).rejects.toThrow(
      /not among/,
    );
  });
});
