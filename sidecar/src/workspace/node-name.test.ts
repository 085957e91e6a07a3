import { describe, expect, it } from "vitest";
import { renameNode } from "./node-name.js";

describe("renameNode: esphome.name changed in place", () => {
  it("changes only the value's bytes: comments, spacing and CRLF line ends stay", () => {
    const text = "# my lamp\r\nesphome:\r\n  name:   porch   # the hostname\r\n  friendly_name: Porch\r\nlogger:\r\n";
    expect(renameNode(text, "veranda")).toEqual({
      text: "# my lamp\r\nesphome:\r\n  name:   veranda   # the hostname\r\n  friendly_name: Porch\r\nlogger:\r\n",
      warning: null,
    });
  });

  it("keeps the quoting style", () => {
    expect(renameNode('esphome:\n  name: "porch"\n', "veranda").text).toBe('esphome:\n  name: "veranda"\n');
    expect(renameNode("esphome:\n  name: 'porch'\n", "veranda").text).toBe("esphome:\n  name: 'veranda'\n");
  });

  it("changes the substitution the name comes from", () => {
    const text = "substitutions:\n  devicename: porch # here\nesphome:\n  name: ${devicename}\n";
    expect(renameNode(text, "veranda")).toEqual({
      text: "substitutions:\n  devicename: veranda # here\nesphome:\n  name: ${devicename}\n",
      warning: null,
    });
  });

  it("leaves the file alone, with a warning, when the name is not defined in it", () => {
    const viaPackage = "packages:\n  base: !include base.yaml\n";
    expect(renameNode(viaPackage, "x")).toEqual({
      text: viaPackage,
      warning: expect.stringContaining("not a plain value"),
    });
    const built = "esphome:\n  name: ${prefix}-porch\n";
    expect(renameNode(built, "x")).toEqual({
      text: built,
      warning: expect.stringContaining("built from substitutions"),
    });
    const missing = "esphome:\n  name: ${devicename}\n";
    expect(renameNode(missing, "x").warning).toContain("not defined in this file");
  });
});
