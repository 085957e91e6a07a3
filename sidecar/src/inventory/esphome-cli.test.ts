// The real ESPHome CLI (scripts/ensure-esphome.sh installs it). Kept few: each call takes about a second.
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEsphomeCli, findEsphome } from "./esphome-cli.js";
import { Inventory } from "./inventory.js";
import { cleanup, configDir, esphomeBin } from "../../test-support/inventory-fixtures.js";

afterEach(cleanup);

const SECRETS = 'wifi_ssid: Net\nwifi_password: "secret-password"\n';

describe("real esphome", () => {
  it("is found from an explicit path or $FORGE_ESPHOME_BIN, and reports its version", async () => {
    const bin = esphomeBin();
    const cli = await findEsphome(bin);
    expect(cli?.argv).toEqual([bin]);
    expect(await cli!.version()).toMatch(/^\d{4}\.\d+\.\d+/);
    expect(await findEsphome(null)).not.toBeNull(); // via FORGE_ESPHOME_BIN
    expect(await createEsphomeCli(["/nonexistent/esphome"]).version()).toBeNull();
  });

  it("resolves a device whose platform and name come only from a package and substitutions", async () => {
    const dir = await configDir({
      "pkg-dev.yaml": [
        "substitutions:",
        "  node: pkg-dev",
        "packages:",
        "  board: !include",
        "    file: boards/d1.yaml",
        "    vars: {speed: 80MHz}",
        "esphome:",
        "  name: ${node}",
        "wifi:",
        "  ssid: !secret wifi_ssid",
        "  password: !secret wifi_password",
        "  ap:",
        "    password: literal-ap-password", // printed wrapped in hidden-secret codes
      ].join("\n"),
      "boards/d1.yaml":
        "esphome:\n  friendly_name: From Package\n  project: {name: acme.pkg, version: '2.0'}\nesp8266:\n  board: d1_mini\n  framework: {version: recommended}\n",
      "secrets.yaml": SECRETS,
    });
    const inv = new Inventory({ configDir: dir, esphome: await findEsphome(esphomeBin()), rescanIntervalSec: 3600 });
    await inv.start();
    try {
      expect(inv.get("pkg-dev")).toMatchObject({
        resolvedBy: "esphome",
        error: null,
        name: "pkg-dev",
        friendlyName: "From Package",
        platform: "esp8266",
        board: "d1_mini",
        project: { name: "acme.pkg", version: "2.0" },
        address: "pkg-dev.local",
        addressSource: "mdns",
      });
    } finally {
      await inv.stop();
    }
  });

  it("reads an RP2040 device's platform and board although ESPHome 2026.10 prints `rp2:` for `rp2040:`", async () => {
    const dir = await configDir({
      "pico.yaml": "esphome:\n  name: pico\n  friendly_name: Pico\nrp2040:\n  board: rpipicow\n",
    });
    const inv = new Inventory({ configDir: dir, esphome: await findEsphome(esphomeBin()), rescanIntervalSec: 3600 });
    await inv.start();
    try {
      expect(inv.get("pico")).toMatchObject({
        resolvedBy: "esphome",
        error: null,
        platform: "rp2040",
        board: "rpipicow",
      });
    } finally {
      await inv.stop();
    }
  });

  it("turns an invalid config into a structured error and keeps the plain-read fields", async () => {
    const dir = await configDir({
      "bad-board.yaml":
        "esphome:\n  name: bad-board\n\nesp32:\n  board: no-such-board\nwifi:\n  ssid: !secret wifi_ssid\n  password: !secret wifi_password\n",
      "secrets.yaml": SECRETS,
    });
    const cli = createEsphomeCli([esphomeBin()]);
    const res = await cli.config(path.join(dir, "bad-board.yaml"));
    expect(res.ok).toBe(false);
    expect(res.errors).toEqual([
      { file: "bad-board.yaml", line: 5, message: expect.stringMatching(/^esp32: .*board is unknown/) },
    ]);

    const inv = new Inventory({ configDir: dir, esphome: cli, rescanIntervalSec: 3600 });
    await inv.start();
    try {
      const d = inv.get("bad-board")!;
      expect(d).toMatchObject({ name: "bad-board", platform: "esp32", board: "no-such-board", resolvedBy: "yaml" });
      expect(d.error).toMatch(/^bad-board\.yaml:5: esp32: .*board is unknown/);
      expect(inv.diagnostics("bad-board")).toEqual(res.errors);
    } finally {
      await inv.stop();
    }
  });
});
