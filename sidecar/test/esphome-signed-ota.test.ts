// Forge's device signing against the real ESPHome (2026.10, installed by scripts/ensure-esphome.sh):
//   - `esphome config` and `compile --only-generate` accept the YAML Forge writes for a device, and
//     ESPHome itself resolves Forge's public key files to the very digests Forge lists (its own
//     implementation of the SBv2 key digest) and compiles them in as the trusted set;
//   - the real `esphome upload` flashes images into a fake device that checks signature blocks the way
//     ESPHome's device code does (test-support/fake-signed-ota-device.ts): signed by a trusted key is
//     accepted, unsigned, other-key-signed and wrongly signed images are refused with the device's error,
//     a dual-signed image passes a device that trusts only the new key, and a lower project version is
//     refused under downgrade protection.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildEspAppImage } from "../src/devtools/esp-app-image-fixture.js";
import { parse } from "yaml";
import { signedOtaFromConfig } from "../src/trust/ota-signing/device-config.js";
import { signedOtaYaml } from "../src/trust/ota-signing/device-yaml.js";
import { mergeSignedOta } from "../src/trust/ota-signing/apply-yaml.js";
import { OtaKeyStore, type OtaKeyRecord } from "../src/trust/ota-signing/ota-key-store.js";
import { signImage } from "../src/trust/ota-signing/sign-image.js";
import { FakeOtaReceiver, type FakeOtaOptions } from "../test-support/fake-ota-receiver.js";
import { tempDir } from "../test-support/helpers.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";

const run = promisify(execFile);

async function esphome(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(esphomeBin(), args, {
      cwd,
      timeout: 120_000,
      env: { ...process.env, ESPHOME_NOGITIGNORE: "1" },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

function deviceYaml(name: string, board: string, extra: string[] = []): string {
  return [
    "esphome:",
    `  name: ${name}`,
    "esp32:",
    `  board: ${board}`,
    "  framework:",
    "    type: esp-idf",
    "wifi:",
    '  ssid: "forge-test"',
    '  password: "not-a-real-pass"',
    "logger:",
    "api:",
    "ota:",
    "  - platform: esphome",
    ...extra,
    "packages:",
    "  forge_signed_ota: !include forge-signed-ota.yaml",
    "",
  ].join("\n");
}

let store: OtaKeyStore;
let k1: OtaKeyRecord;
let k2: OtaKeyRecord;
let stranger: OtaKeyStore;

beforeAll(async () => {
  store = new OtaKeyStore(join(tempDir("forge-signedota-"), "keys"));
  k1 = await store.create("first");
  k2 = await store.create("second");
  stranger = new OtaKeyStore(join(tempDir("forge-signedota-"), "keys"));
  await stranger.create("stranger");
}, 60_000);

/** A config folder with the device and the generated signed-OTA package. */
function configDir(yaml: string, device: string, files: { path: string; content: string }[] = []): string {
  const dir = tempDir("forge-signedota-cfg-");
  writeFileSync(join(dir, "forge-signed-ota.yaml"), yaml);
  writeFileSync(join(dir, "dev.yaml"), device);
  for (const f of files) {
    mkdirSync(join(dir, f.path, ".."), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

describe("the YAML Forge writes validates with the real ESPHome", () => {
  it("digests inline, downgrade protection on: esphome config accepts it as written", async () => {
    const y = signedOtaYaml({
      keys: [k1, k2],
      downgradeProtection: { projectName: "forge.lab", projectVersion: "1.2.0" },
      variant: "esp32s3",
    });
    const dir = configDir(y.yaml, deviceYaml("lab", "esp32-s3-devkitc-1"));
    const r = await esphome(dir, ["config", "dev.yaml"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("Configuration is valid!");
    expect(r.out).toMatch(new RegExp(`verification_keys:\\s+- ${k1.digest}\\s+- ${k2.digest}`));
    expect(r.out).toContain("enable_ota_downgrade_protection: true");
    expect(r.out).toMatch(/project:\s+name: forge\.lab\s+version: 1\.2\.0/);
  }, 60_000);

  it("the block applied to a device's own file (the YAML helper's Apply): esphome config accepts it", async () => {
    const own = [
      "# the user's own comments stay",
      "esphome:",
      "  name: applied",
      "  project:",
      '    name: "forge.applied"',
      '    version: "2.1.0"',
      "esp32:",
      "  variant: esp32",
      "  board: esp32dev",
      "  framework:",
      "    type: esp-idf",
      "wifi:",
      '  ssid: "forge-test"',
      '  password: "not-a-real-pass"',
      "ota:",
      "  - platform: esphome",
      "",
    ].join("\n");
    const merged = mergeSignedOta(own, { digests: [k1.digest, k2.digest], downgradeProtection: true });
    const dir = tempDir("forge-signedota-applied-");
    writeFileSync(join(dir, "dev.yaml"), merged.content);
    const r = await esphome(dir, ["config", "dev.yaml"]);
    expect(r.code, `${r.out}\n${merged.content}`).toBe(0);
    expect(r.out).toMatch(new RegExp(`verification_keys:\\s+- ${k1.digest}\\s+- ${k2.digest}`));
    expect(r.out).toContain("enable_ota_downgrade_protection: true");
    expect(r.out).toMatch(/minimum_chip_revision: '?3\.0'?/);
  }, 60_000);

  it("public key files: ESPHome computes the same digests from them and compiles them in as the trusted set", async () => {
    const y = signedOtaYaml({ keys: [k1, k2], keyForm: "pem", variant: "esp32s3" });
    expect(y.files).toHaveLength(2);
    const dir = configDir(y.yaml, deviceYaml("labpem", "esp32-s3-devkitc-1"), y.files);
    const cfg = await esphome(dir, ["config", "dev.yaml"]);
    expect(cfg.code, cfg.out).toBe(0);
    expect(cfg.out).toMatch(new RegExp(`verification_keys:\\s+- ${k1.digest}\\s+- ${k2.digest}`));
    // The resolved config (stdout) read back: ESPHome's digests of Forge's PEM files are Forge's digests.
    const resolved = (await run(esphomeBin(), ["config", "dev.yaml"], { cwd: dir })).stdout;
    expect(signedOtaFromConfig(parse(resolved))).toMatchObject({
      externalSigning: true,
      verificationKeys: [k1.digest, k2.digest],
    });
    const gen = await esphome(dir, ["compile", "--only-generate", "dev.yaml"]);
    expect(gen.code, gen.out).toBe(0);
    expect(gen.out).toContain(`Signed OTA verification trusts 2 key digest(s): ${k1.digest}, ${k2.digest}`);
    const build = join(dir, ".esphome", "build", "labpem");
    const defines = readFileSync(join(build, "src", "esphome", "core", "defines.h"), "utf8");
    const cArray = (hex: string) =>
      `{${hex
        .match(/../g)!
        .map((b) => `0x${b}`)
        .join(",")}}`;
    expect(defines).toContain(`#define OTA_TRUSTED_KEY_DIGESTS {${cArray(k1.digest)},${cArray(k2.digest)}}`);
    expect(defines).toContain("#define USE_OTA_SIGNED_VERIFICATION_MULTI_KEY");
    const sdkconfig = readFileSync(join(build, "sdkconfig.labpem"), "utf8");
    expect(sdkconfig).toMatch(/^CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT=y$/m);
    expect(sdkconfig).toMatch(/^CONFIG_SECURE_SIGNED_APPS_RSA_SCHEME=y$/m);
    // Forge signs: the build must neither sign nor keep IDF's single-key check.
    expect(sdkconfig).not.toMatch(/^CONFIG_SECURE_BOOT_BUILD_SIGNED_BINARIES=y$/m);
    expect(sdkconfig).not.toMatch(/^CONFIG_SECURE_SIGNED_ON_UPDATE_NO_SECURE_BOOT=y$/m);
  }, 90_000);

  it("the original ESP32 needs chip revision 3.0 for rsa3072: the helper adds it, and without it ESPHome refuses", async () => {
    const withRev = signedOtaYaml({ keys: [k1], variant: "esp32" });
    const ok = await esphome(configDir(withRev.yaml, deviceYaml("classic", "esp32dev")), ["config", "dev.yaml"]);
    expect(ok.code, ok.out).toBe(0);
    const unknown = signedOtaYaml({ keys: [k1] }); // variant unknown: only a comment says so
    const refused = await esphome(configDir(unknown.yaml, deviceYaml("classic", "esp32dev")), ["config", "dev.yaml"]);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/requires minimum_chip_revision: '3\.0' or higher/);
  }, 60_000);
});

describe("the real esphome upload into a fake device that enforces signed OTA", () => {
  const receivers: FakeOtaReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  /** Starts a fake device and a config folder whose OTA goes to it; returns an uploader of image files. */
  async function device(signedOta: NonNullable<FakeOtaOptions["signedOta"]>) {
    const dev = await FakeOtaReceiver.start({ signedOta });
    receivers.push(dev);
    const y = signedOtaYaml({ keys: [k1, k2], variant: "esp32s3" });
    const dir = configDir(y.yaml, deviceYaml("fakedev", "esp32-s3-devkitc-1", [`    port: ${dev.port}`]));
    const upload = async (bytes: Buffer) => {
      const f = join(dir, `image-${dev.attempts.length}.bin`);
      writeFileSync(f, bytes);
      return esphome(dir, ["upload", "dev.yaml", "--device", "127.0.0.1", "--file", f]);
    };
    return { dev, upload };
  }

  it("accepts an image Forge signed with a trusted key; refuses unsigned, stranger-signed and wrongly signed ones", async () => {
    const { dev, upload } = await device({ trustedKeyDigests: [k1.digest] });
    const image = buildEspAppImage({ codeSize: 60_000, seed: 21 });
    const good = await signImage(image, [store.signerFor(k1)]);
    const ok = await upload(good.bytes);
    expect(ok.code, ok.out).toBe(0);
    expect(dev.receipts).toHaveLength(1);
    expect(dev.receipts[0]).toMatchObject({ sha256: good.signedSha256, md5Ok: true });
    expect(dev.receipts[0]!.verdict).toMatch(/^verified by block 0/);

    const unsigned = await upload(image);
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.out).toContain("Firmware signature verification failed");
    const byStranger = await upload((await signImage(image, stranger.signers())).bytes);
    expect(byStranger.code).not.toBe(0);
    expect(byStranger.out).toContain("Firmware signature verification failed");
    // Another image with the good signature sector: the device hashes the image and the signature fails.
    const other = buildEspAppImage({ codeSize: 60_000, seed: 22 });
    const transplanted = Buffer.concat([other, good.bytes.subarray(image.length)]);
    expect((await upload(transplanted)).code).not.toBe(0);
    expect(dev.rejected.map((r) => r.detail)).toEqual([
      "image has no signature block",
      "no trusted key produced a valid signature",
      "no trusted key produced a valid signature",
    ]);
    expect(dev.rejected.every((r) => r.error === 0x8d)).toBe(true);
    expect(dev.receipts).toHaveLength(1);
  }, 120_000);

  it("rotation: a dual-signed image flashes a device trusting only the old key and one trusting only the new", async () => {
    const image = buildEspAppImage({ codeSize: 40_000, seed: 23 });
    const dual = await signImage(image, [store.signerFor(k1), store.signerFor(k2)]);
    for (const trusted of [k1.digest, k2.digest]) {
      const { dev, upload } = await device({ trustedKeyDigests: [trusted] });
      const r = await upload(dual.bytes);
      expect(r.code, r.out).toBe(0);
      expect(dev.receipts[0]!.verdict).toMatch(trusted === k1.digest ? /block 0/ : /block 1/);
    }
  }, 120_000);

  it("downgrade protection: a lower project version is refused by the device, a higher one is flashed", async () => {
    const { dev, upload } = await device({ trustedKeyDigests: [k1.digest], runningVersion: "1.2.0" });
    const signed = async (v: string) =>
      (await signImage(buildEspAppImage({ codeSize: 30_000, projectVersion: v }), [store.signerFor(k1)])).bytes;
    const older = await upload(await signed("1.1.9"));
    expect(older.code).not.toBe(0);
    expect(older.out).toContain("OTA downgrade protection");
    expect(dev.rejected).toEqual([expect.objectContaining({ error: 0x93, detail: "downgrade 1.1.9 < 1.2.0" })]);
    const newer = await upload(await signed("1.3.0"));
    expect(newer.code, newer.out).toBe(0);
    expect(dev.opts.signedOta?.runningVersion).toBe("1.3.0");
  }, 120_000);
});
