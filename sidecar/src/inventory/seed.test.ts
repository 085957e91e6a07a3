import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findEsphome } from "./esphome-cli.js";
import { Inventory } from "./inventory.js";
import { seedExamples } from "./seed.js";
import { cleanup, configDir, esphomeBin } from "../../test-support/inventory-fixtures.js";

afterEach(cleanup);

const EXAMPLES = [
  "common/esp32-c3-base.yaml",
  "garage-door.yaml",
  "kitchen-lights.yaml",
  "living-room-climate.yaml",
  "porch-plug.yaml",
  "secrets.yaml",
];

describe("seedExamples", () => {
  it("fills an empty folder once and never touches a folder that already has devices", async () => {
    const dir = await configDir();
    expect(await seedExamples(path.join(dir, "new"))).toEqual(EXAMPLES);
    expect(await seedExamples(path.join(dir, "new"))).toEqual([]);

    const mine = await configDir({ "secrets.yaml": "mine: 1\n", "notes.txt": "x" });
    expect(await seedExamples(mine)).toEqual(EXAMPLES.filter((f) => f !== "secrets.yaml"));

    const used = await configDir({ "my-device.yml": "esphome:\n  name: mine\n" });
    expect(await seedExamples(used)).toEqual([]);
    expect(await readdir(used)).toEqual(["my-device.yml"]);
  });

  it("seeds examples that the real esphome accepts, read with the expected fields", async () => {
    const dir = await configDir();
    await seedExamples(dir);
    await writeFile(path.join(dir, "notes.md"), "not a device\n");
    const inv = new Inventory({ configDir: dir, esphome: await findEsphome(esphomeBin()), rescanIntervalSec: 3600 });
    await inv.start();
    try {
      const summary = inv.list().map((d) => [d.id, d.platform, d.board, d.addressSource, d.resolvedBy, d.error]);
      expect(summary).toEqual([
        ["garage-door", "esp8266", "d1_mini", "static_ip", "esphome", null],
        ["kitchen-lights", "esp32", "esp32-c3-devkitm-1", "mdns", "esphome", null],
        ["living-room-climate", "esp32", "esp32dev", "mdns", "esphome", null],
        ["porch-plug", "bk72xx", "cb2s", "mdns", "esphome", null],
      ]);
      expect(inv.get("kitchen-lights")).toMatchObject({
        name: "kitchen-lights",
        friendlyName: "Kitchen Lights",
        pinnedVersion: "2026.6.5",
        tags: ["kitchen", "esp32-c3", "lights"],
        project: { name: "forge.led-dimmer", version: "0.9.1" },
      });
      const job = await inv.jobFiles("kitchen-lights");
      expect(job.files.map((f) => f.path)).toEqual([
        "common/esp32-c3-base.yaml",
        "kitchen-lights.yaml",
        "secrets.yaml",
      ]);
      expect(job.files.find((f) => f.path === "secrets.yaml")!.content).not.toMatch(/garage|porch|living/);
    } finally {
      await inv.stop();
    }
  });
});
