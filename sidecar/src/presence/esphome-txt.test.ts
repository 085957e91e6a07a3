import { describe, expect, it } from "vitest";
import { factsFromTxt, txtEntries } from "./esphome-txt.js";

const txt = (...kv: string[]) => kv.map((s) => Buffer.from(s));

describe("ESPHome TXT facts", () => {
  it("reads every key ESPHome publishes", () => {
    const facts = factsFromTxt(
      txt(
        "friendly_name=Küche Licht",
        "version=2026.10.0",
        "config_hash=1A2B3C4D",
        "mac=aabbccddeeff",
        "platform=ESP32",
        "board=esp32dev",
        "network=wifi",
        "api_encryption=Noise_NNpsk0_25519_ChaChaPoly_SHA256",
        "project_name=acme.lamp",
        "project_version=1.2.3",
        "ota_signed=true",
      ),
    );
    expect(facts).toEqual({
      esphomeVersion: "2026.10.0",
      projectName: "acme.lamp",
      projectVersion: "1.2.3",
      configHash: "1a2b3c4d",
      mac: "aabbccddeeff",
      platform: "ESP32",
      board: "esp32dev",
      network: "wifi",
      friendlyName: "Küche Licht",
      apiEncryption: "Noise_NNpsk0_25519_ChaChaPoly_SHA256",
      otaSigned: true,
    });
  });

  it("leaves out what a device did not say or said badly", () => {
    const facts = factsFromTxt(
      txt(
        "version=",
        "config_hash=xyz",
        "mac=aa:bb",
        "board=\u0007bell",
        `platform=${"x".repeat(65)}`,
        "ota_signed=maybe",
      ),
    );
    expect(facts).toMatchObject({
      esphomeVersion: null,
      configHash: null,
      mac: null,
      board: null,
      platform: null,
      otaSigned: null,
      apiEncryption: null, // `api_encryption_supported` alone is not a key in use
    });
    expect(factsFromTxt(txt("ota_signed=false")).otaSigned).toBe(false);
    expect(factsFromTxt(txt("friendly_name=a\u0000b\nc")).friendlyName).toBe("abc");
  });

  it("keeps the first of repeated keys, compares keys without case, and caps the entries read", () => {
    const t = txtEntries(txt("Version=1", "version=2", "flag"));
    expect(t.get("version")).toBe("1");
    expect(t.get("flag")).toBe("");
    const many = txtEntries(Array.from({ length: 500 }, (_, i) => Buffer.from(`k${i}=v`)));
    expect(many.size).toBe(64);
  });
});
