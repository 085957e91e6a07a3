// The inventory on real folders, with the plain YAML read (no ESPHome): scanning, errors, the
// watcher, metadata writes. Job files are covered in job-files.test.ts, real ESPHome in esphome-cli.test.ts.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InventoryError } from "./errors.js";
import type { InventoryDevice } from "./inventory-device.js";
import { Inventory } from "./inventory.js";
import { cleanup, configDir, nextEvent, writeFiles } from "../../test-support/inventory-fixtures.js";

const running: Inventory[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
  await cleanup();
});

async function startInventory(files: Record<string, string>, logs: string[] = []) {
  const dir = await configDir(files);
  const inv = new Inventory({ configDir: dir, esphome: null, rescanIntervalSec: 3600, log: (m) => logs.push(m) });
  running.push(inv);
  await inv.start();
  return { dir, inv };
}

const dev = (name: string, extra = "") => `esphome:\n  name: ${name}\nesp8266:\n  board: d1_mini\n${extra}`;

describe("scanning", () => {
  it("lists top-level *.yaml/*.yml devices sorted by id, ignoring secrets, dotfiles and subfolders", async () => {
    const logs: string[] = [];
    const { inv } = await startInventory(
      {
        "b-dev.yml": dev("b-dev"),
        "a-dev.yaml": dev("a-dev"),
        "secrets.yaml": "x: 1\n",
        "secrets.yml": "x: 1\n",
        ".hidden.yaml": dev("hidden"),
        "common/pkg.yaml": dev("pkg"),
        "notes.txt": "hello",
        "bad name.yaml": dev("bad"),
      },
      logs,
    );
    expect(inv.list().map((d) => [d.id, d.file])).toEqual([
      ["a-dev", "a-dev.yaml"],
      ["b-dev", "b-dev.yml"],
    ]);
    expect(inv.get("a-dev")).toMatchObject({
      name: "a-dev",
      platform: "esp8266",
      board: "d1_mini",
      resolvedBy: "yaml",
      error: null,
      address: "a-dev.local",
      addressSource: "mdns",
      pinnedVersion: null,
      tags: [],
      configHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(logs.join("\n")).toMatch(/ignoring bad name\.yaml/);
  });

  it("marks a broken YAML with file, line and message and leaves the rest of the fleet alone", async () => {
    const { inv } = await startInventory({
      "good.yaml": dev("good"),
      "broken.yaml": "esphome:\n  name: broken\n  foo: [1, 2\nesp8266:\n  board: d1_mini\n",
      "empty.yaml": "",
      "noname.yaml": "esp32:\n  board: esp32dev\n",
    });
    expect(inv.get("good")?.error).toBeNull();
    expect(inv.get("broken")).toMatchObject({ name: null, platform: null, resolvedBy: "yaml" });
    expect(inv.get("broken")?.error).toMatch(/^broken\.yaml:\d+: .+/);
    expect(inv.get("empty")?.error).toMatch(/empty/);
    expect(inv.get("noname")?.error).toMatch(/name is required/);
  });

  it("reads every ESPHome tag without crashing and applies substitutions to the name", async () => {
    const { inv } = await startInventory({
      "tags.yaml": [
        "substitutions: {n: tagged, f: Tagged Device}",
        "esphome:",
        "  name: ${n}",
        "  friendly_name: ${f}",
        "  on_boot:",
        "    then: !lambda 'id(x).publish_state(1);'",
        "esp32: !include {file: board.yaml, vars: {b: esp32dev}}",
        "wifi:",
        "  ssid: !secret ssid",
        "  password: !env_var FORGE_NOT_SET_ANYWHERE",
        "sensor: !include_dir_merge_list sensors",
        "binary_sensor: !include_dir_list binary",
        "text_sensor: !include_dir_named named",
        "switch: !include_dir_merge_named merged",
        "light:",
        "  - id: !extend base_light",
        "    effects: !remove",
        "  - !force {platform: binary}",
        "custom: !something_new {a: 1}",
      ].join("\n"),
      "board.yaml": "board: ${b}\n",
      "sensors/a.yaml": "- platform: uptime\n",
      "binary/a.yaml": "platform: status\n",
      "named/a.yaml": "platform: version\n",
      "merged/a.yaml": "x: 1\n",
      "secrets.yaml": "ssid: Net\n",
    });
    expect(inv.get("tags")).toMatchObject({
      name: "tagged",
      friendlyName: "Tagged Device",
      platform: "esp32",
      board: "esp32dev",
      error: null,
    });
  });

  it("gives the second file of a duplicate id an error and keeps the first", async () => {
    const { inv } = await startInventory({ "x.yaml": dev("x-one"), "x.yml": dev("x-two") });
    expect(inv.list()).toHaveLength(1);
    expect(inv.get("x")).toMatchObject({ file: "x.yaml", name: "x-one" });
    expect(inv.get("x")?.error).toMatch(/duplicate device id "x": x\.yml/);
  });

  it("takes pin, tags, MAC and a learned address from the metadata block; a garbled block is that device's error", async () => {
    const { inv } = await startInventory({
      "meta.yaml":
        '# esphome-forge:\n#   pin: 2026.6.5\n#   tags: [kitchen, esp32]\n#   mac: "AA:BB:CC:DD:EE:FF"\n#   address: 10.1.2.3\n' +
        dev("meta"),
      "garbled.yaml": "# esphome-forge:\n#   tags: [Upper Case]\n" + dev("garbled"),
      "static.yaml": dev(
        "static",
        "wifi:\n  manual_ip:\n    static_ip: 10.9.9.9\n    gateway: 10.9.9.1\n    subnet: 255.255.255.0\n",
      ),
    });
    expect(inv.get("meta")).toMatchObject({
      pinnedVersion: "2026.6.5",
      tags: ["kitchen", "esp32"],
      mac: "AA:BB:CC:DD:EE:FF",
      address: "10.1.2.3",
      addressSource: "known",
      error: null,
    });
    expect(inv.get("garbled")).toMatchObject({ name: "garbled", tags: [] });
    expect(inv.get("garbled")?.error).toMatch(/metadata block: tags/);
    expect(inv.get("static")).toMatchObject({ address: "10.9.9.9", addressSource: "static_ip" });
  });
});

describe("watching", () => {
  it("emits device/remove events as files appear, change, are renamed and are deleted", async () => {
    const { dir, inv } = await startInventory({ "one.yaml": dev("one") });
    let ev: Promise<InventoryDevice | string> = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "two");
    await writeFile(path.join(dir, "two.yaml"), dev("two"));
    expect(await ev).toMatchObject({ id: "two", name: "two" });

    ev = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "one" && d.name === "one-renamed");
    await writeFile(path.join(dir, "one.yaml"), dev("one-renamed"));
    await ev;

    ev = nextEvent<string>(inv, "remove", (id) => id === "two");
    await rm(path.join(dir, "two.yaml"));
    await ev;
    expect(inv.list().map((d) => d.id)).toEqual(["one"]);

    const removed = nextEvent<string>(inv, "remove", (id) => id === "one");
    const added = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "three");
    await rename(path.join(dir, "one.yaml"), path.join(dir, "three.yaml"));
    await Promise.all([removed, added]);
  });

  it("re-reads the devices that use an included file or secrets.yaml when it changes", async () => {
    const { dir, inv } = await startInventory({
      "pkg.yaml":
        "esphome:\n  name: pkg\npackages:\n  base: !include common/base.yaml\nwifi:\n  use_address: !secret addr\n",
      "other.yaml": dev("other"),
      "common/base.yaml": "esp8266:\n  board: d1_mini\n",
      "secrets.yaml": "addr: 10.0.0.1\n",
    });
    const seen: string[] = [];
    inv.on("device", (d: InventoryDevice) => seen.push(d.id));
    expect(inv.get("pkg")).toMatchObject({ board: "d1_mini", address: "10.0.0.1" });
    const hash = inv.get("pkg")!.configHash;

    let ev = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "pkg" && d.board === "nodemcuv2");
    await writeFile(path.join(dir, "common/base.yaml"), "esp8266:\n  board: nodemcuv2\n");
    expect((await ev).configHash).not.toBe(hash);

    ev = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "pkg" && d.address === "10.0.0.2");
    await writeFile(path.join(dir, "secrets.yaml"), "addr: 10.0.0.2\n");
    await ev;
    expect(seen.filter((id) => id === "other")).toEqual([]); // unchanged devices raise no event
  });

  it("re-reads a broken device when the include it was missing appears", async () => {
    const { dir, inv } = await startInventory({
      "late.yaml": "esphome:\n  name: late\npackages:\n  b: !include parts/board.yaml\n",
      "parts/x.yaml": "",
    });
    expect(inv.get("late")?.error).toMatch(/parts\/board\.yaml does not exist/);
    const ev = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "late" && d.error == null);
    await writeFiles(dir, { "parts/board.yaml": "esp32:\n  board: esp32dev\n" });
    expect(await ev).toMatchObject({ platform: "esp32" });
  });

  it("picks up changes the watcher missed on rescan()", async () => {
    const { dir, inv } = await startInventory({ "a.yaml": dev("a") });
    await inv.stop(); // no watcher any more
    const again = new Inventory({ configDir: dir, esphome: null, rescanIntervalSec: 3600 });
    running.push(again);
    await again.start();
    (again as unknown as { watcher: { close(): void } }).watcher.close();
    await writeFile(path.join(dir, "b.yaml"), dev("b"));
    await again.rescan();
    expect(again.list().map((d) => d.id)).toEqual(["a", "b"]);
  });
});

describe("setMetadata", () => {
  const ORIGINAL = "# Kitchen light\r\nesphome:\r\n  name: kitchen   # hostname\r\nesp32:\r\n  board: esp32dev\r\n";

  it("inserts, updates and removes the block, touching no other byte, and emits the change", async () => {
    const { dir, inv } = await startInventory({ "kitchen.yaml": ORIGINAL });
    const file = path.join(dir, "kitchen.yaml");
    const hash = inv.get("kitchen")!.configHash;

    const ev = nextEvent<InventoryDevice>(inv, "device", (d) => d.id === "kitchen");
    const d = await inv.setMetadata("kitchen", { pinnedVersion: "2026.6.5", tags: ["kitchen", "esp32"] });
    expect(d).toMatchObject({ pinnedVersion: "2026.6.5", tags: ["kitchen", "esp32"] });
    expect((await ev).tags).toEqual(["kitchen", "esp32"]);
    const text = await readFile(file, "utf8");
    expect(text).toBe("# esphome-forge:\r\n#   pin: 2026.6.5\r\n#   tags: [kitchen, esp32]\r\n\r\n" + ORIGINAL);
    // The block is a comment: it does not change what gets built.
    expect(d.configHash).toBe(hash);

    await inv.setMetadata("kitchen", { mac: "aa:bb:cc:dd:ee:ff", address: "10.0.0.20" });
    expect(inv.get("kitchen")).toMatchObject({
      mac: "AA:BB:CC:DD:EE:FF",
      address: "10.0.0.20",
      addressSource: "known",
      tags: ["kitchen", "esp32"],
    });

    await inv.setMetadata("kitchen", { pinnedVersion: null, tags: [], mac: null, address: null });
    expect(await readFile(file, "utf8")).toBe(ORIGINAL);
  });

  it("rejects invalid values with a validation error and leaves the file alone", async () => {
    const { dir, inv } = await startInventory({ "kitchen.yaml": ORIGINAL });
    const err = await inv.setMetadata("kitchen", { tags: ["Bad Tag"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InventoryError);
    expect(err).toMatchObject({ code: "validation", message: expect.stringMatching(/tags are lowercase/) });
    await expect(inv.setMetadata("kitchen", { pinnedVersion: "banana" })).rejects.toThrow(
      /expected an ESPHome release/,
    );
    await expect(inv.setMetadata("nope", { tags: [] })).rejects.toMatchObject({ code: "not_found" });
    expect(await readFile(path.join(dir, "kitchen.yaml"), "utf8")).toBe(ORIGINAL);
  });
});
