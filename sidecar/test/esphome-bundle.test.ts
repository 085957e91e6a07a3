// Config bundles with the real ESPHome CLI: `esphome bundle` output read back by us (manifest,
// members, filtered secrets), our own bundle accepted by `esphome compile --only-generate`, and a
// worker job that unpacks an ESPHome bundle into the device's stable build folder and runs the
// real `esphome compile --only-generate` there (the full compile needs toolchains from the internet).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createBundle, esphomeBundle, readBundle } from "../src/bundle/bundle.js";
import { runCommand } from "../src/inventory/esphome-cli.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";
import { assign } from "../test-support/helpers.js";
import { fakeSidecarSuite } from "../test-support/worker-harness.js";

const t = fakeSidecarSuite();
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const KITCHEN = [
  "esphome:",
  "  name: kitchen",
  "esp8266:",
  "  board: d1_mini",
  "wifi:",
  "  ssid: !secret wifi_ssid",
  '  password: "12345678"',
  "logger:",
  "packages:",
  "  up: !include common/uptime.yaml",
  "",
].join("\n");

async function configFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "forge-bundle-cfg-"));
  dirs.push(dir);
  mkdirSync(path.join(dir, "common"));
  await writeFile(path.join(dir, "kitchen.yaml"), KITCHEN);
  await writeFile(path.join(dir, "common/uptime.yaml"), "sensor:\n  - platform: uptime\n    name: Uptime\n");
  await writeFile(path.join(dir, "secrets.yaml"), 'wifi_ssid: "home"\nbank_pin: "1234"\n');
  await writeFile(path.join(dir, "porch.yaml"), "esphome:\n  name: porch\n");
  return dir;
}

describe("esphome bundle round trip (real CLI)", () => {
  it("ESPHome's bundle reads back with only what the device needs; ESPHome compiles our own bundle", async () => {
    const bin = esphomeBin();
    const dir = await configFolder();
    const gz = await esphomeBundle(bin, path.join(dir, "kitchen.yaml"));
    const b = readBundle(gz);
    expect(b.manifest).toMatchObject({ manifest_version: 1, config_filename: "kitchen.yaml", has_secrets: true });
    expect(b.files.map((f) => f.path).sort()).toEqual(["common/uptime.yaml", "kitchen.yaml", "secrets.yaml"]);
    const secrets = b.files.find((f) => f.path === "secrets.yaml")!.content;
    expect(secrets).toContain("wifi_ssid");
    expect(secrets).not.toContain("bank_pin");
    expect(b.files.find((f) => f.path === "kitchen.yaml")!.content).toBe(KITCHEN);

    // Our writer, from the same members, gives the same digest, and ESPHome accepts the archive.
    const ours = createBundle(b.files, "kitchen.yaml", b.manifest.esphome_version);
    expect(ours.digest).toBe(b.digest);
    const work = await mkdtemp(path.join(tmpdir(), "forge-bundle-ours-"));
    dirs.push(work);
    await writeFile(path.join(work, "kitchen.esphomebundle.tar.gz"), ours.data);
    const r = await runCommand([bin, "compile", "kitchen.esphomebundle.tar.gz", "--only-generate"], work, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 120_000);
});

describe("a worker job from an ESPHome bundle (real CLI)", () => {
  it("unpacks into the stable device folder, runs esphome compile --only-generate, and keeps .esphome for the next job", async () => {
    const bin = esphomeBin();
    const dir = await configFolder();
    const gz = await esphomeBundle(bin, path.join(dir, "kitchen.yaml"));
    const { digest } = readBundle(gz);
    const { stateDir } = await t.setup({}, { buildCommand: null, esphomeBin: bin, onlyGenerate: true });
    const bundle = { data: gz.toString("base64"), digest, source: "esphome" as const };
    const job = assign("kitchen", { action: "compile", configFile: "kitchen.yaml", files: [], bundle });
    t.fake.send(job);
    const result = await t.resultOf(job.jobId);
    expect(result, t.logOf(job.jobId)).toMatchObject({ outcome: "succeeded", phase: "compile", firmware: [] });
    const folder = path.join(stateDir, "builds", "kitchen");
    const buildInfo = path.join(folder, ".esphome/build/kitchen/build_info.json");
    expect(existsSync(path.join(folder, "common/uptime.yaml"))).toBe(true);
    expect(existsSync(path.join(folder, ".esphome/build/kitchen/src/main.cpp"))).toBe(true);
    expect(JSON.parse(readFileSync(buildInfo, "utf8"))).toHaveProperty("config_hash");
    expect(t.logOf(job.jobId)).toMatch(/ESPHome bundle of 3 file\(s\).*digest/);

    // The next job of the same device reuses the folder: the cache survives, a tampered bundle does not pass.
    writeFileSync(path.join(folder, ".esphome/cache-marker"), "warm");
    const again = assign("kitchen", { action: "compile", configFile: "kitchen.yaml", files: [], bundle });
    t.fake.send(again);
    expect(await t.resultOf(again.jobId)).toMatchObject({ outcome: "succeeded" });
    expect(readFileSync(path.join(folder, ".esphome/cache-marker"), "utf8")).toBe("warm");

    const forged = assign("kitchen", {
      action: "compile",
      configFile: "kitchen.yaml",
      files: [],
      bundle: { ...bundle, digest: "0".repeat(64) },
    });
    t.fake.send(forged);
    const bad = await t.resultOf(forged.jobId);
    expect(bad).toMatchObject({ outcome: "failed", phase: "prepare" });
    expect(bad.error).toContain("does not match its digest");
  }, 120_000);
});
