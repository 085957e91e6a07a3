// A builder never flashes (README "A builder never flashes"), with real processes: a real sidecar, a
// protocol-faithful malicious builder (test-support/fake-worker.ts) that an admin even made a flasher too,
// and a real worker process an admin made a `flasher`, whose upload runs the real `esphome upload` into a
// fake device speaking ESPHome's native OTA protocol (password auth). The builder only ever gets a
// compile with no OTA address; the flash step goes to the flasher with the archived approved bytes; a
// failed OTA keeps the build and a retry flashes the same image without a recompile.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, FirmwareImage, Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { runCli, startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { FakeOtaReceiver } from "../test-support/fake-ota-receiver.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { settledJob, startFlasher, type WorkerProc } from "../test-support/fleet-jobs.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";

let sc: SidecarProc;
let api: Api;
let dev: FakeOtaReceiver;
let flasher: WorkerProc;
let rogue: FakeWorker;
const rogueKey = generateSigningKey();
const BUILT_WITH = "2026.1.1";

beforeAll(async () => {
  dev = await FakeOtaReceiver.start({ password: "door-ota-secret" });
  const dataDir = tempDir();
  const configDir = join(dataDir, "config");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, "door.yaml"),
    [
      "esphome:",
      "  name: door",
      "esp32:",
      "  board: esp32dev",
      "wifi:",
      '  ssid: "lab"',
      '  password: "not-a-real-pass"',
      "  use_address: 127.0.0.1",
      "ota:",
      "  - platform: esphome",
      `    port: ${dev.port}`,
      "    password: !secret ota_password",
      "",
    ].join("\n"),
  );
  writeFileSync(join(configDir, "secrets.yaml"), 'ota_password: "door-ota-secret"\n');
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  // The flasher never builds: only its upload phase runs, with the real ESPHome CLI.
  flasher = await startFlasher(api, sc.url, {
    extraArgs: ["--esphome", esphomeBin(), "--build-command-phases", "compile"],
  });
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "rogue" });
  rogue = new FakeWorker({ url: sc.url, token: secret, workerId: "rogue-1", enrolKey: rogueKey });
  await rogue.welcomed;
  // Even given both roles, it is never handed the flash of an image it built.
  await api.json("PATCH", "/workers/rogue-1", { roles: ["builder", "flasher"] });
}, 60_000);

afterAll(async () => {
  rogue?.close();
  await flasher?.stop();
  await sc?.stop();
  await dev?.close();
});

async function compileUpload(): Promise<number> {
  return (await api.createJobs({ action: "compile_upload", targets: { devices: ["door"] } })).jobs[0]!.jobId;
}

const uploadsTo = (w: FakeWorker) => w.received.filter((m) => m.type === "assign" && m.action === "upload");
const assignsTo = (w: FakeWorker) => w.received.filter((m) => m.type === "assign").length;

/** The rogue builds: it sends these bytes as the OTA image with provenance signed by `key`. */
async function build(id: number, bytes: Buffer, key = rogueKey): Promise<FirmwareImage> {
  const as = await rogue.nextAssign(id);
  const image = rogue.sendFirmware(as, "firmware.ota.bin", bytes);
  const provenance = await rogue.provenance(as, [image], key);
  // Its ESPHome is not the flasher's (which reports its own CLI's version): the image keeps the builder's.
  rogue.result(as, { phase: "compile", firmware: [image], provenance, esphomeVersion: BUILT_WITH });
  return image;
}

describe("a builder never flashes", () => {
  it("a malicious builder holds no flash job and no device address; ignoring a refusal flashes nothing", async () => {
    const id = await compileUpload();
    const as = await rogue.nextAssign(id);
    // Its step is a compile: nothing says where the device is, no image to flash.
    expect(as).toMatchObject({ action: "compile", address: null, firmware: [] });
    expect(as.params.address).toBeUndefined();

    const implant = randomBytes(96 * 1024);
    const image = rogue.sendFirmware(as, "firmware.ota.bin", implant);
    const forged = await rogue.provenance(as, [image], generateSigningKey());
    // The old gate ("may I flash what I built?") is always no now.
    rogue.send({ type: "provenance", jobId: as.jobId, fence: as.fence, bundle: forged });
    const answer = await rogue.approvalFor(as);
    expect(answer.allow).toBe(false);
    expect(answer.error).toMatch(/a builder never flashes/);
    // It ignores the refusal and reports its implant as a finished build.
    rogue.sendFirmware(as, "firmware.ota.bin", implant);
    rogue.result(as, { phase: "compile", firmware: [image], provenance: forged });
    const job = await settledJob(api, id);
    expect(job).toMatchObject({ state: "failed", step: "build", flashSha256: null });
    expect(job.error).toMatch(/content trust refused the build/);
    expect(uploadsTo(rogue)).toEqual([]);
    expect(dev.attempts).toEqual([]);
  });

  it("an approved build is flashed by the flasher, never its builder, with exactly the approved bytes", async () => {
    const id = await compileUpload();
    const image = await build(id, randomBytes(128 * 1024));
    const job = await settledJob(api, id, 60_000);
    expect(job.state, await api.log(id)).toBe("succeeded");
    expect(job).toMatchObject({ step: "flash", flashSha256: image.sha256, builtBy: "rogue-1" });
    expect(job.workerId).not.toBe("rogue-1");
    expect(uploadsTo(rogue)).toEqual([]);
    expect(dev.receipts.map((r) => r.sha256)).toEqual([image.sha256]);
    expect(dev.receipts[0]!.authenticated).toBe(true);
    const log = await api.log(id);
    expect(log).toContain("the flash waits for a flasher (never the builder)");
    expect(log).toContain(`downloading firmware.ota.bin (${image.size} bytes)`);
  });

  it("a failed OTA keeps the build; retry flashes the same approved image without recompiling; upload flashes the staged one", async () => {
    dev.opts.refuseWith = 0x89; // "not enough space"
    const id = await compileUpload();
    const image = await build(id, randomBytes(112 * 1024));
    const failed = await settledJob(api, id, 60_000);
    expect(failed).toMatchObject({ state: "failed", phase: "upload", step: "flash", flashSha256: image.sha256 });
    expect(failed.firmware.map((f) => f.sha256)).toContain(image.sha256);
    const staged = await api.json<Device>("GET", "/devices/door");
    expect(staged.storedFirmware).toMatchObject({ jobId: id, firmwareSha256: image.sha256, current: true });

    delete dev.opts.refuseWith;
    const builds = assignsTo(rogue);
    const retry = await api.json<{ jobs: { jobId: number }[] }>("POST", `/jobs/${id}/retry`);
    const retried = await settledJob(api, retry.jobs[0]!.jobId, 60_000);
    expect(retried.state, await api.log(retried.id)).toBe("succeeded");
    expect(retried).toMatchObject({ step: "flash", flashSha256: image.sha256 });
    expect(await api.log(retried.id)).toContain("no recompile");
    expect(assignsTo(rogue)).toBe(builds);
    expect(dev.receipts.at(-1)!.sha256).toBe(image.sha256);

    // Build now, flash later: an upload without a digest sends the staged image. The config changed since
    // that build: the upload records the build's inputs, so the device still reads outdated (it runs the
    // older config) and its last flash names the image and the build's ESPHome version.
    const built = await api.job(id);
    const yaml = join(sc.dataDir, "config", "door.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8") + "# a later edit\n");
    await waitFor(async () => (await api.json<Device>("GET", "/devices/door")).configHash !== built.configHash, "edit");
    const upload = (await api.createJobs({ action: "upload", targets: { devices: ["door"] } })).jobs[0]!.jobId;
    const flashed: Job = await settledJob(api, upload, 60_000);
    expect(flashed.state, await api.log(upload)).toBe("succeeded");
    expect(dev.receipts.at(-1)!.sha256).toBe(image.sha256);
    expect(assignsTo(rogue)).toBe(builds);
    expect(flashed).toMatchObject({ flashSha256: image.sha256, configHash: built.configHash });
    const door = await api.json<Device>("GET", "/devices/door");
    expect(door.lastFlash).toMatchObject({
      jobId: upload,
      firmwareSha256: image.sha256,
      configHash: built.configHash,
      esphomeVersion: BUILT_WITH,
    });
    expect(built.esphomeVersion).toBe(BUILT_WITH);
    expect(door.outdated).toBe(true);
  });
});

describe("roles from the command line", () => {
  it("`workers roles` sets what a worker may do, lists it, and refuses a role that does not exist", async () => {
    const admin = ["--server", sc.url, "--token", sc.token];
    const set = await runCli(["workers", "roles", "rogue-1", "builder", ...admin]);
    expect(set.code, set.out).toBe(0);
    const w = await api.json<{ workers: { id: string; roles?: string[] }[] }>("GET", "/workers");
    expect(w.workers.find((x) => x.id === "rogue-1")?.roles).toEqual(["builder"]);
    const list = await runCli(["workers", "list", ...admin]);
    expect(list.out).toMatch(/^rogue-1\s.*\sbuilder\s/m);
    expect(list.out).toMatch(/\sflasher\s/);
    const bad = await runCli(["workers", "roles", "rogue-1", "builder,admin", ...admin]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('expected builder, flasher or both (comma-separated), got "builder,admin"');
    const after = await api.json<{ workers: { id: string; roles?: string[] }[] }>("GET", "/workers");
    expect(after.workers.find((x) => x.id === "rogue-1")?.roles).toEqual(["builder"]);
  });
});
