import { link, mkdir, symlink, writeFile } from "node:fs/promises";
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

  it("judges a linked file by what it really is: no alias of secrets.yaml ever ships", async () => {
    const SECRETS = 'wifi_ssid: "Net"\nbank_pin: "4321"\n';
    const { dir } = await start({});
    await writeFile(path.join(dir, "secrets.yaml"), SECRETS);
    await mkdir(path.join(dir, "fonts"));
    await mkdir(path.join(dir, "private"));
    await symlink("../secrets.yaml", path.join(dir, "fonts/roboto.ttf")); // a "font"
    await symlink("secrets.yaml", path.join(dir, "subs.yaml")); // as substitutions
    await link(path.join(dir, "secrets.yaml"), path.join(dir, "private/common.yaml")); // a hard link
    const device = (name: string, extra: string) =>
      `esphome:\n  name: ${name}\nesp32:\n  board: esp32dev\nwifi:\n  ssid: !secret wifi_ssid\n${extra}`;
    await writeFile(path.join(dir, "font.yaml"), device("font", "font:\n  - file: fonts/roboto.ttf\n    id: f\n"));
    await writeFile(path.join(dir, "subs.yaml.d"), ""); // not a device
    await writeFile(path.join(dir, "alias.yaml"), device("alias", "substitutions: !include subs.yaml\n"));
    await writeFile(path.join(dir, "hard.yaml"), device("hard", "packages:\n  p: !include private/common.yaml\n"));
    const inv = new Inventory({ configDir: dir, esphome: null, rescanIntervalSec: 3600 });
    running.push(inv);
    await inv.start();
    expect(inv.get("font")?.error).toMatch(/fonts\/roboto\.ttf is a secrets file .*never sent to a worker/);
    expect(inv.get("alias")?.error).toMatch(/a secrets file cannot be included \(subs\.yaml/);
    expect(inv.get("hard")?.error).toMatch(/a secrets file cannot be included \(private\/common\.yaml/);
    for (const id of ["font", "alias", "hard"]) await expect(inv.jobFiles(id)).rejects.toThrow(/secrets file/);
    // The device file of another device reached by a link is not shipped either, nor is .git.
    await mkdir(path.join(dir, "data"));
    await symlink("../other.yaml", path.join(dir, "data/other.bin"));
    await writeFile(path.join(dir, "other.yaml"), device("other", ""));
    await writeFile(path.join(dir, "ok.yaml"), device("ok", "image:\n  - file: data/other.bin\n    id: i\n"));
    await inv.rescan();
    const ok = await inv.jobFiles("ok");
    expect(ok.files.map((f) => f.path)).toEqual(["ok.yaml", "secrets.yaml"]);
    expect(ok.files.find((f) => f.path === "secrets.yaml")!.content).not.toContain("bank_pin");
  });

  it("bundles and hashes a file merged in with `<<: !include`", async () => {
    const { dir, inv } = await start({
      "merge.yaml": "esphome:\n  name: merge\n  <<: !include common/esphome-extra.yaml\nesp32:\n  board: esp32dev\n",
      "common/esphome-extra.yaml": "friendly_name: Merged In\ncomment: from the merge key\n",
    });
    expect(inv.get("merge")).toMatchObject({ name: "merge", friendlyName: "Merged In", error: null });
    const job = await inv.jobFiles("merge");
    expect(job.files.map((f) => f.path)).toEqual(["common/esphome-extra.yaml", "merge.yaml"]);
    await writeFile(path.join(dir, "common/esphome-extra.yaml"), "friendly_name: Changed\n");
    expect((await inv.jobFiles("merge")).configHash).not.toBe(job.configHash);
  });
});
