// The worker flashing through the real `esphome upload --device 127.0.0.1` (ESPHome from PyPI,
// installed by scripts/ensure-esphome.sh) into a fake ESPHome device that speaks the native OTA
// protocol on loopback: plaintext with and without password auth, a device that refuses, and one
// that vanishes mid-transfer. Also `validate` with ESPHome's structured errors.
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FirmwareImage } from "@esphome-forge/shared";
import { esphomeBin } from "../test-support/inventory-fixtures.js";
import { FakeOtaReceiver, type FakeOtaOptions } from "../test-support/fake-ota-receiver.js";
import { assign, STANDIN_COMMAND, waitUntil } from "../test-support/helpers.js";
import { pidsWithEnv } from "../test-support/proc-scan.js";
import { fakeSidecarSuite } from "../test-support/worker-harness.js";

const t = fakeSidecarSuite();
const receivers: FakeOtaReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(opts: FakeOtaOptions = {}): Promise<FakeOtaReceiver> {
  const r = await FakeOtaReceiver.start(opts);
  receivers.push(r);
  return r;
}

/** An ESP8266 device whose OTA goes to the fake's port; the `# standin:` line only matters to the stand-in. */
function otaYaml(name: string, port: number, password: string | null): string {
  return [
    "# standin: firmware-bytes=40000 upload-ms=0",
    "esphome:",
    `  name: ${name}`,
    "esp8266:",
    "  board: d1_mini",
    "wifi:",
    "  ssid: !secret wifi_ssid",
    '  password: "not-a-real-pass"',
    "logger:",
    "api:",
    "ota:",
    "  - platform: esphome",
    `    port: ${port}`,
    ...(password ? [`    password: !secret ota_password`] : []),
    "",
  ].join("\n");
}

function files(name: string, port: number, password: string | null) {
  const secrets = `wifi_ssid: "forge-test"\n${password ? `ota_password: "${password}"\n` : ""}`;
  return [
    { path: `${name}.yaml`, content: otaYaml(name, port, password) },
    { path: "secrets.yaml", content: secrets },
  ];
}

/** Puts random firmware into the fake sidecar's archive and returns its image record. */
function archived(size = 50_000): { image: FirmwareImage; bytes: Buffer } {
  const bytes = randomBytes(size);
  const image: FirmwareImage = {
    name: "firmware.bin",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size,
    kind: "ota",
  };
  t.fake.served.set(image.sha256, bytes);
  return { image, bytes };
}

const real = () => ({ buildCommand: null, esphomeBin: esphomeBin(), otaRetryDelayMs: 200 });

describe("upload with the real esphome CLI into a fake native-OTA device", () => {
  it("flashes an archived firmware without auth; the device receives exactly its bytes", async () => {
    const dev = await receiver();
    await t.setup({}, real());
    const { image } = archived();
    const job = assign("ota-plain", { action: "upload", files: files("ota-plain", dev.port, null), firmware: [image] });
    t.fake.send(job);
    const result = await t.resultOf(job.jobId);
    expect(result, t.logOf(job.jobId)).toMatchObject({ outcome: "succeeded", phase: "upload", error: null });
    expect(dev.receipts).toHaveLength(1);
    expect(dev.receipts[0]).toMatchObject({ sha256: image.sha256, md5Ok: true, authenticated: false });
    const log = t.logOf(job.jobId);
    expect(log).toContain("upload ota-plain.yaml --device 127.0.0.1 --file");
    expect(log).toContain("attempt 1 of 2");
    expect(log).toContain("OTA successful");
  }, 60_000);

  it("authenticates with the OTA password (SHA256 challenge) from secrets.yaml", async () => {
    const dev = await receiver({ password: "s3cret-ota" });
    await t.setup({}, real());
    const { image } = archived(70_000);
    const job = assign("ota-auth", {
      action: "upload",
      files: files("ota-auth", dev.port, "s3cret-ota"),
      firmware: [image],
    });
    t.fake.send(job);
    const result = await t.resultOf(job.jobId);
    expect(result, t.logOf(job.jobId)).toMatchObject({ outcome: "succeeded", phase: "upload" });
    expect(dev.receipts[0]).toMatchObject({ sha256: image.sha256, md5Ok: true, authenticated: true });
  }, 60_000);

  it("a flasher (stand-in for the compile phase only) flashes an archived image over protocol v1 with MD5 auth", async () => {
    const dev = await receiver({ password: "pw", auth: "md5", version: 1, extended: false });
    await t.setup({}, { ...real(), buildCommand: STANDIN_COMMAND, buildCommandPhases: ["compile"] });
    const { image } = archived();
    const job = assign("ota-built", { action: "upload", files: files("ota-built", dev.port, "pw"), firmware: [image] });
    t.fake.send(job);
    const result = await t.resultOf(job.jobId);
    expect(result, t.logOf(job.jobId)).toMatchObject({ outcome: "succeeded", phase: "upload" });
    expect(dev.receipts).toHaveLength(1);
    expect(dev.receipts[0]).toMatchObject({ sha256: image.sha256, authenticated: true });
    expect(t.logOf(job.jobId)).not.toContain("[forge worker] compile:");
  }, 60_000);

  it("a device that refuses the image (partition too small) fails the job at upload with ESPHome's reason", async () => {
    const dev = await receiver({ refuseWith: 0x89 });
    await t.setup({}, real());
    const { image } = archived();
    const job = assign("ota-full", { action: "upload", files: files("ota-full", dev.port, null), firmware: [image] });
    t.fake.send(job);
    const result = await t.resultOf(job.jobId);
    expect(result).toMatchObject({ outcome: "failed", phase: "upload" });
    expect(result.error).toMatch(/OTA partition on the ESP is too small/);
    expect(result.error).toContain("after one retry");
    expect(dev.attempts.map((a) => a.outcome)).toEqual(["refused", "refused"]);
    expect(dev.receipts).toHaveLength(0);
  }, 60_000);

  it("a device that vanishes mid-transfer is retried once, then the job fails at upload", async () => {
    const dev = await receiver({ dropAfterBytes: 20_000 });
    await t.setup({}, real());
    const { image } = archived(100_000);
    const job = assign("ota-drop", { action: "upload", files: files("ota-drop", dev.port, null), firmware: [image] });
    t.fake.send(job);
    // ESPHome (2026.7+) itself retries a dropped transfer (5 s apart) before giving up; the worker's
    // retry runs that whole upload once more.
    const result = await t.resultOf(job.jobId, undefined, 60_000);
    expect(result).toMatchObject({ outcome: "failed", phase: "upload" });
    const log = t.logOf(job.jobId);
    expect(log).toContain("upload attempt 1 failed");
    expect(log).toContain("attempt 2 of 2");
    // ESPHome's own summary line, once per `esphome upload` run.
    const tries = [...log.matchAll(/^ERROR Upload failed after (\d+) attempts/gm)].map((m) => Number(m[1]));
    expect(tries).toHaveLength(2);
    expect(dev.attempts.map((a) => a.outcome)).toEqual(Array(tries[0]! + tries[1]!).fill("dropped"));
  }, 90_000);
});

describe("cancel during upload", () => {
  it("a device stalling mid-transfer: the cancel ends the job within 2 s, esphome's process group is gone, the folder builds and flashes next", async () => {
    const dev = await receiver({ stallAfterBytes: 16_384 });
    const w = await t.setup(
      {},
      { ...real(), buildCommand: STANDIN_COMMAND, buildCommandPhases: ["compile"], otaTimeoutMs: 60_000 },
    );
    const { image } = archived(300_000);
    const job = assign("ota-stall", { action: "upload", files: files("ota-stall", dev.port, null), firmware: [image] });
    t.fake.send(job);
    await waitUntil(() => dev.stalling > 0, "the device to stall mid-transfer", 30_000);
    // Every process of the phase carries the build folder in its environment.
    const marker = `FORGE_BUILD_DIR=${path.join(w.stateDir, "builds", "ota-stall")}`;
    expect(pidsWithEnv(marker).length).toBeGreaterThan(0);
    const t0 = Date.now();
    t.fake.send({ type: "cancel", jobId: job.jobId, fence: job.fence, reason: "user pressed cancel" });
    const result = await t.resultOf(job.jobId);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result, t.logOf(job.jobId)).toMatchObject({ outcome: "cancelled", phase: "upload" });
    expect(pidsWithEnv(marker)).toEqual([]);
    expect(t.logOf(job.jobId)).not.toContain("attempt 2 of 2"); // a cancel is not retried
    await waitUntil(
      () => dev.stalling === 0 && dev.attempts.some((a) => a.outcome === "stalled"),
      "the device to see the client go",
    );
    expect(dev.receipts).toHaveLength(0);

    // The same device folder: the next flash of an archived image goes through.
    delete dev.opts.stallAfterBytes;
    const { image: again } = archived();
    const next = assign("ota-stall", {
      action: "upload",
      files: files("ota-stall", dev.port, null),
      firmware: [again],
    });
    t.fake.send(next);
    const ok = await t.resultOf(next.jobId);
    expect(ok, t.logOf(next.jobId)).toMatchObject({ outcome: "succeeded", phase: "upload" });
    expect(dev.receipts.map((r) => r.sha256)).toEqual([again.sha256]);
  }, 60_000);
});

describe("validate with the real esphome CLI", () => {
  it("returns ESPHome's errors as (file, line, message) and names the first one in the job error", async () => {
    await t.setup({}, real());
    const yaml = otaYaml("bad-level", 3232, null).replace("logger:\n", "logger:\n  level: BOGUS\n");
    const job = assign("bad-level", {
      action: "validate",
      files: [
        { path: "bad-level.yaml", content: yaml },
        { path: "secrets.yaml", content: 'wifi_ssid: "x"\n' },
      ],
    });
    t.fake.send(job);
    const result = await t.resultOf(job.jobId);
    expect(result).toMatchObject({ outcome: "failed", phase: "validate" });
    expect(result.validationErrors).toEqual([
      expect.objectContaining({ file: "bad-level.yaml", line: expect.any(Number) }),
    ]);
    expect(result.validationErrors![0]!.message).toContain("Unknown value 'BOGUS'");
    expect(result.error).toMatch(/^invalid config: bad-level\.yaml:\d+: .*BOGUS/);

    const ok = assign("good", { action: "validate", files: files("good", 3232, null) });
    t.fake.send(ok);
    const okResult = await t.resultOf(ok.jobId);
    expect(okResult).toMatchObject({ outcome: "succeeded", phase: "validate" });
    expect(okResult.validationErrors).toBeUndefined();
  }, 60_000);
});
