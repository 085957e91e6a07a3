import { describe, expect, it } from "vitest";
import { renderTemplate, secretKeys } from "./templates.js";

describe("device templates", () => {
  it("refers to the keys secrets.yaml has, by their usual names", () => {
    const keys = secretKeys('wifi_ssid: "lab"\nwifi_pass: "x"\nota_password: "y"\nfallback_ap_password: z\n');
    expect(keys).toEqual(["fallback_ap_password", "ota_password", "wifi_pass", "wifi_ssid"]);
    const { text, warnings } = renderTemplate({ name: "lamp", template: "esp32", secretKeys: keys });
    expect(warnings).toEqual([]);
    expect(text).toMatch(/^esphome:\n {2}name: lamp\n {2}friendly_name: "lamp"\n/);
    expect(text).toContain("esp32:\n  board: esp32dev\n  framework:\n    type: esp-idf\n");
    expect(text).toContain("ssid: !secret wifi_ssid\n  password: !secret wifi_pass\n");
    expect(text).toContain("    password: !secret ota_password\n");
    expect(text).toContain("    password: !secret fallback_ap_password\n");
  });

  it("names the missing keys and still refers to them; every device gets its own API key", () => {
    const a = renderTemplate({ name: "a", template: "bk72xx", board: "wb2s", secretKeys: [] });
    const b = renderTemplate({ name: "b", template: "bk72xx", secretKeys: [] });
    expect(a.warnings).toEqual([
      "secrets.yaml has no wifi_ssid key: add it, the config refers to it",
      "secrets.yaml has no wifi_password key: add it, the config refers to it",
    ]);
    expect(a.text).toContain("bk72xx:\n  board: wb2s\n");
    expect(a.text).not.toContain("ota_password");
    const key = (t: string) => /key: "([^"]+)"/.exec(t)![1];
    expect(Buffer.from(key(a.text)!, "base64")).toHaveLength(32);
    expect(key(a.text)).not.toBe(key(b.text));
  });

  it("quotes a friendly name with YAML-special characters", () => {
    const { text } = renderTemplate({
      name: "x",
      friendlyName: 'Kid\'s "lamp": #1',
      template: "esp8266",
      secretKeys: [],
    });
    expect(text).toContain('friendly_name: "Kid\'s \\"lamp\\": #1"');
  });

  it("reads no keys from a missing or broken secrets.yaml", () => {
    expect(secretKeys(null)).toEqual([]);
    expect(secretKeys("- not: a map\n")).toEqual([]);
  });
});
