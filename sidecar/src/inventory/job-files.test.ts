import { symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { Inventory } from "./inventory.js";
import { cleanup, configDir } from "../../test-support/inventory-fixtures.js";

const running: Inventory[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
  await cleanup();
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe]);

async function start(files: Record<string, string | Buffer>) {
  const dir = await configDir(files);
  const inv = new Inventory({ configDir: dir, esphome: null, rescanIntervalSec: 3600 });
  running.push(inv);
  await inv.start();
  return { dir, inv };
}

const FLEET = {
  "display.yaml": [
    "# esphome-forge:",
    "#   tags: [office]",
    "esphome:",
    "  name: display",
    "  includes: [custom/helpers.h]",
    "packages:",
    "  base: !include common/base.yaml",
    "  extra: !include {file: common/extra.yaml, vars: {n: 2}}",
    "external_components:",
    "  - source: {type: local, path: my_components}",
    "  - source: github://someone/components",
    "font:",
    "  - file: fonts/Roboto.ttf",
    "    id: roboto",
    "image:",
    "  - file: images/logo.png",
    "    id: logo",
    "wifi:",
    "  ssid: !secret wifi_ssid",
    "  password: !secret wifi_password",
    "text_sensor:",
    "  - platform: template",
    "    name: other.yaml",
    '    lambda: return {"images/unused.png"};',
  ].join("\n"),
  "common/base.yaml": "esp32:\n  board: esp32dev\napi:\n  encryption:\n    key: !secret display_key\n",
  "common/extra.yaml": "logger:\n  level: DEBUG\n",
  // ESPHome reads an included file's own secrets.yaml when there is one.
  "common/secrets.yaml": 'display_key: "abc="\nunrelated: nope\n',
  "custom/helpers.h": "#pragma once\n",
  "my_components/thing/__init__.py": "# component\n",
  "my_components/.cache/junk": "x",
  "fonts/Roboto.ttf": Buffer.from([0x00, 0x01, 0x00, 0x00, 0xde, 0xad]),
  "images/logo.png": PNG,
  "images/unused.png": PNG,
  "other.yaml": "esphome:\n  name: other\nesp8266:\n  board: d1_mini\nwifi:\n  password: !secret other_password\n",
  ".git/config": "[core]\n",
  "secrets.yaml":
    'wifi_ssid: "Net"\nwifi_password: "pw: with colon"\ndisplay_key: "not-this-one"\nother_password: "never-sent"\n',
};

describe("jobFiles", () => {
  it("collects the YAML, local packages, referenced files and filtered secrets, nothing else", async () => {
    const { inv } = await start(FLEET);
    const job = await inv.jobFiles("display");
    expect(job.configFile).toBe("display.yaml");
    expect(job.files.map((f) => f.path)).toEqual([
      "common/base.yaml",
      "common/extra.yaml",
      "common/secrets.yaml",
      "custom/helpers.h",
      "display.yaml",
      "fonts/Roboto.ttf",
      "images/logo.png",
      "my_components/thing/__init__.py",
      "secrets.yaml",
    ]);
    const byPath = Object.fromEntries(job.files.map((f) => [f.path, f]));
    expect(parse(byPath["secrets.yaml"]!.content)).toEqual({ wifi_ssid: "Net", wifi_password: "pw: with colon" });
    expect(parse(byPath["common/secrets.yaml"]!.content)).toEqual({ display_key: "abc=" });
    expect(byPath["images/logo.png"]).toEqual({
      path: "images/logo.png",
      content: PNG.toString("base64"),
      encoding: "base64",
    });
    expect(byPath["display.yaml"]!.encoding).toBeUndefined();
    expect(job.configHash).toBe(inv.get("display")!.configHash);
  });

  it("changes the config hash when an included file changes, not when the metadata block does", async () => {
    const { dir, inv } = await start(FLEET);
    const before = (await inv.jobFiles("display")).configHash;
    await inv.setMetadata("display", { tags: ["office", "screen"], pinnedVersion: "2026.6.5" });
    expect((await inv.jobFiles("display")).configHash).toBe(before);
    await writeFile(path.join(dir, "common/extra.yaml"), "logger:\n  level: INFO\n");
    const after = (await inv.jobFiles("display")).configHash;
    expect(after).not.toBe(before);
    await writeFile(path.join(dir, "fonts/Roboto.ttf"), Buffer.from([1, 2, 3]));
    expect((await inv.jobFiles("display")).configHash).not.toBe(after);
  });

  it("refuses includes that leave the config folder, by path or by symlink", async () => {
    const outside = await configDir({ "secret.yaml": "stolen: true\n" });
    const { dir } = await start({});
    await writeFile(path.join(dir, "escape.yaml"), "esphome:\n  name: escape\nx: !include ../../etc/passwd\n");
    await symlink(path.join(outside, "secret.yaml"), path.join(dir, "link.yaml"));
    await writeFile(path.join(dir, "linked.yaml"), "esphome:\n  name: linked\nx: !include link.yaml\n");
    const inv = new Inventory({ configDir: dir, esphome: null, rescanIntervalSec: 3600 });
    running.push(inv);
    await inv.start();
    expect(inv.get("escape")?.error).toMatch(
      /escape\.yaml:3: !include \.\.\/\.\.\/etc\/passwd: .*leaves the config folder/,
    );
    await expect(inv.jobFiles("escape")).rejects.toMatchObject({
      code: "validation",
      message: expect.stringMatching(/leaves the config folder/),
    });
    expect(inv.get("linked")?.error).toMatch(/resolves outside the config folder/);
    await expect(inv.jobFiles("linked")).rejects.toThrow(/outside the config folder/);
    await expect(inv.jobFiles("missing")).rejects.toMatchObject({ code: "not_found" });
  });
});
