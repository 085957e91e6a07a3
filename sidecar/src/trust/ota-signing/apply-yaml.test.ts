// Applying the signed-OTA block to a device's own YAML: the rest of the file stays as it was, the
// result reads back (through the same reader the inventory uses) as signed OTA with Forge's keys, and
// what cannot be applied is refused with the reason. The real `esphome config` accepts the result in
// sidecar/test/esphome-signed-ota.test.ts.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { mergeSignedOta } from "./apply-yaml.js";
import { signedOtaFromConfig } from "./device-config.js";
import { DeviceYamlError } from "./device-yaml.js";

const A = "1".repeat(64); // digits only: unquoted, YAML would read a number
const B = "ab".repeat(32);

const device = (extra: string[] = [], esp32: string[] = ["  board: esp32-s3-devkitc-1"]) =>
  [
    "# my kitchen node",
    "esphome:",
    "  name: kitchen",
    ...extra,
    "esp32:",
    ...esp32,
    "  framework:",
    "    type: esp-idf  # keep me",
    "wifi:",
    "  ssid: !secret wifi_ssid",
    "",
  ].join("\n");

describe("mergeSignedOta", () => {
  it("adds the block, keeps comments, tags and order, and reads back with Forge's keys as strings", () => {
    const m = mergeSignedOta(device(), { digests: [A] });
    expect(m.changed).toBe(true);
    expect(m.content).toContain("# my kitchen node");
    expect(m.content).toContain("type: esp-idf # keep me");
    expect(m.content).toContain("ssid: !secret wifi_ssid");
    expect(m.content).toContain(`- "${A}"`);
    const back = signedOtaFromConfig(parse(m.content.replace("!secret ", "")));
    expect(back).toMatchObject({ scheme: "rsa3072", externalSigning: true, verificationKeys: [A] });
    expect(m.notes.join()).toMatch(/minimum_chip_revision/);
    // Applying it again changes nothing; a rotation replaces the list.
    expect(mergeSignedOta(m.content, { digests: [A] }).changed).toBe(false);
    const rotated = mergeSignedOta(m.content, { digests: [A, B] });
    expect(signedOtaFromConfig(parse(rotated.content.replace("!secret ", "")))?.verificationKeys).toEqual([A, B]);
  });

  it("sets the original ESP32's chip revision, and refuses variants without RSA", () => {
    const m = mergeSignedOta(device([], ["  variant: esp32", "  board: esp32dev"]), { digests: [A] });
    expect(parse(m.content, { logLevel: "error" }).esp32.framework.advanced.minimum_chip_revision).toBe("3.0");
    expect(() => mergeSignedOta(device([], ["  variant: ESP32-C2"]), { digests: [A] })).toThrow(/no RSA/);
    // A file that names only the board: the variant ESPHome resolved decides.
    const byBoard = mergeSignedOta(device([], ["  board: esp32dev"]), { digests: [A], variant: "esp32" });
    expect(parse(byBoard.content, { logLevel: "error" }).esp32.framework.advanced.minimum_chip_revision).toBe("3.0");
  });

  it("turns on downgrade protection only with a dotted-numeric project version", () => {
    expect(() => mergeSignedOta(device(), { digests: [A], downgradeProtection: true })).toThrow(
      /dotted-numeric version .*none/,
    );
    const withProject = device(["  project:", "    name: acme.kitchen", '    version: "1.2.0"']);
    const m = mergeSignedOta(withProject, { digests: [A], downgradeProtection: true });
    expect(parse(m.content, { logLevel: "error" }).esp32.framework.advanced.enable_ota_downgrade_protection).toBe(true);
  });

  it("refuses a config without an esp32: mapping of its own, and broken YAML", () => {
    const esp8266 = "esphome:\n  name: plug\nesp8266:\n  board: d1_mini\n";
    expect(() => mergeSignedOta(esp8266, { digests: [A] })).toThrow(DeviceYamlError);
    expect(() => mergeSignedOta("esp32: [\n", { digests: [A] })).toThrow(/not valid YAML/);
    expect(() => mergeSignedOta(device(), { digests: [] })).toThrow(/no active device signing key/);
  });
});
