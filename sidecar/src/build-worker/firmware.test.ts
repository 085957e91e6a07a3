import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSidecar } from "../../test-support/fake-sidecar.js";
import { STANDIN_PATH, deviceYaml, tempDir } from "../../test-support/helpers.js";
import { downloadFirmware, findFirmware, otaFile, storageJsonPath } from "./firmware.js";

/** A compile through the stand-in, which writes output exactly where ESPHome would. */
function standinCompile(name: string, platform: "esp32" | "esp8266", knobs: string[] = []): string {
  const dir = tempDir();
  const config = path.join(dir, `${name}.yaml`);
  writeFileSync(config, deviceYaml(name, { platform, knobs: ["clean-ms=0", ...knobs] }));
  execFileSync(process.execPath, [STANDIN_PATH, "compile", config], { stdio: "ignore" });
  return config;
}

describe("findFirmware (through ESPHome's storage JSON; stand-in compile)", () => {
  it("finds the ESP32 factory and OTA images of the native ESP-IDF layout", async () => {
    const config = standinCompile("kitchen", "esp32");
    const storage = JSON.parse(readFileSync(storageJsonPath(config), "utf8")) as { firmware_bin_path: string };
    expect(storage.firmware_bin_path).toMatch(/\.esphome\/build\/kitchen\/build\/kitchen\.bin$/);
    const found = await findFirmware(config);
    expect(found.esphomeVersion).toBe("2026.10.0");
    expect(found.images.map((i) => [i.image.name, i.image.kind])).toEqual([
      ["firmware.factory.bin", "factory"],
      ["firmware.ota.bin", "ota"],
    ]);
    for (const i of found.images) {
      expect(i.image.sha256).toBe(createHash("sha256").update(readFileSync(i.path)).digest("hex"));
      expect(i.image.size).toBe(i.bytes.length);
    }
    expect(otaFile(found.images)?.image.name).toBe("firmware.ota.bin");
  });

  it("finds ESP8266's single firmware.bin under .pioenvs", async () => {
    const config = standinCompile("porch", "esp8266");
    const found = await findFirmware(config);
    expect(found.images).toHaveLength(1);
    expect(found.images[0]!.image).toMatchObject({ name: "firmware.bin", kind: "ota" });
    expect(found.images[0]!.path).toMatch(/\.pioenvs\/porch\/firmware\.bin$/);
  });

  it("is deterministic: the same config gives the same digest", async () => {
    const a = await findFirmware(standinCompile("same", "esp32"));
    const b = await findFirmware(standinCompile("same", "esp32"));
    expect(a.images.map((i) => i.image.sha256)).toEqual(b.images.map((i) => i.image.sha256));
  });

  it("explains a missing storage JSON", async () => {
    const config = standinCompile("bare", "esp32", ["no-storage=1"]);
    await expect(findFirmware(config)).rejects.toThrow(/storage file .* is missing/);
  });
});

describe("downloadFirmware", () => {
  let fake: FakeSidecar;
  beforeAll(async () => {
    fake = await FakeSidecar.start();
  });
  afterAll(() => fake.close());

  const bytes = Buffer.from("firmware bytes for the test");
  const sha = createHash("sha256").update(bytes).digest("hex");

  it("fetches with the worker token and checks the digest", async () => {
    fake.served.set(sha, bytes);
    const file = await downloadFirmware(
      `${fake.url}/`,
      fake.token,
      { name: "firmware.ota.bin", sha256: sha, size: bytes.length, kind: "ota" },
      tempDir(),
      new AbortController().signal,
      { kind: "plain" },
    );
    expect(readFileSync(file)).toEqual(bytes);
  });

  it("refuses bytes whose sha256 does not match", async () => {
    const wrong = "0".repeat(64);
    fake.served.set(wrong, bytes);
    await expect(
      downloadFirmware(
        `${fake.url}/`,
        fake.token,
        { name: "firmware.ota.bin", sha256: wrong, size: bytes.length, kind: "ota" },
        tempDir(),
        new AbortController().signal,
        { kind: "plain" },
      ),
    ).rejects.toThrow(/has sha256 .* expected 0000/);
  });

  it("names the HTTP status when the sidecar refuses", async () => {
    await expect(
      downloadFirmware(
        `${fake.url}/`,
        "wrong-token",
        { name: "x.bin", sha256: sha, size: 1, kind: "ota" },
        tempDir(),
        new AbortController().signal,
        { kind: "plain" },
      ),
    ).rejects.toThrow(/answered 401/);
  });
});
