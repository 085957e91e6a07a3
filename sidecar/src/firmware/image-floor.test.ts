import { describe, expect, it } from "vitest";
import { imageFloor, implausibleImage } from "./image-floor.js";

describe("image floor", () => {
  it("refuses empty and tiny images with the platform's floor named", () => {
    expect(implausibleImage({ name: "firmware.ota.bin", size: 0, kind: "ota" }, "esp32")).toBe(
      "firmware firmware.ota.bin is empty (0 bytes), refused whatever the trust policy: esp32 images are at least 32768 bytes (an incomplete build output?)",
    );
    expect(implausibleImage({ name: "firmware.bin", size: 2000, kind: "ota" }, "esp8266")).toMatch(
      /is only 2000 bytes.*esp8266 images are at least 32768 bytes/,
    );
    expect(implausibleImage({ name: "f.bin", size: 100, kind: "factory" }, null)).toMatch(/unknown platform/);
  });

  it("accepts images at or above the floor, and any non-empty file of other kinds", () => {
    expect(implausibleImage({ name: "f.bin", size: 32 * 1024, kind: "ota" }, "esp32")).toBeNull();
    expect(implausibleImage({ name: "f.uf2", size: 16 * 1024, kind: "ota" }, "rp2040")).toBeNull();
    expect(implausibleImage({ name: "prog", size: 1, kind: "ota" }, "host")).toBeNull();
    expect(implausibleImage({ name: "x.elf", size: 1, kind: "other" }, "esp32")).toBeNull();
    expect(implausibleImage({ name: "x.elf", size: 0, kind: "other" }, "esp32")).toMatch(/empty/);
    expect(imageFloor("nrf52", "ota")).toBe(16 * 1024);
    expect(imageFloor("something-new", "ota")).toBe(4096);
  });
});
