// Signed OTA through the fleet (issue 15 phase 2): a real sidecar, a real builder process (the stand-in
// ESPHome builds real ESP32 app images), a real worker process an admin made a `flasher` (a builder
// never flashes) and, as the device, the fake device's acceptance check
// (test-support/fake-signed-ota-device.ts, written from ESPHome's device code, independent of Forge's
// signing). compile_upload's flash step sends the approved image with Forge's blocks and the device
// accepts it; the device view shows `device_enforced` and what its firmware trusts; a downgrade and a
// hostile builder's implant are refused before a byte is sent, and the implant is never signed; a rotation dual-signs and
// retiring the old key leaves images the old firmware would refuse.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, DeviceSignedOtaPlan, HistoryPage, Job, OtaKey } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { buildEspAppImage } from "../src/devtools/esp-app-image-fixture.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { fakeDeviceCheck } from "../test-support/fake-signed-ota-device.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { otaImageOf, settledJob, startFlasher, type WorkerProc } from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;
let flasher: WorkerProc;
let workerId = "";
let dataDir = "";
let keyA: OtaKey;
const stops: (() => unknown)[] = [];

function writeDevice(id: string, o: { version: string; keys: string[] }): void {
  const lines = [
    "# standin: esp-app-image=1 firmware-bytes=40000",
    "esphome:",
    `  name: ${id}`,
    "  project:",
    `    name: "acme.${id}"`,
    `    version: "${o.version}"`,
    "esp32:",
    "  board: esp32-s3-devkitc-1",
    "  framework:",
    "    type: esp-idf",
    "    advanced:",
    "      signed_ota_verification:",
    "        signing_scheme: rsa3072",
    "        verification_keys:",
    ...o.keys.map((k) => `          - "${k}"`),
    "      enable_ota_downgrade_protection: true",
    "wifi:",
    "  ssid: !secret wifi_ssid",
    "  password: !secret wifi_password",
    "  use_address: 127.0.0.1",
    "ota:",
    "  - platform: esphome",
    "",
  ];
  writeFileSync(join(dataDir, "config", `${id}.yaml`), lines.join("\n"));
}

const device = (id: string) => api.json<Device>("GET", `/devices/${id}`);
const firmware = async (sha: string) => Buffer.from(await (await api.raw("GET", `/firmware/${sha}`)).arrayBuffer());

/** What the flasher's stand-in flashed for a device: one digest per upload, in order. */
function flashed(id: string): string[] {
  try {
    const f = join(flasher.stateDir, "builds", id, ".esphome", "standin-uploads.jsonl");
    return readFileSync(f, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { sha256: string }).sha256);
  } catch {
    return [];
  }
}

/** Runs a job: a build step pinned to the builder "w"; the flash step (and an upload) goes to the flasher. */
async function run(action: Job["action"], id: string, params: Record<string, unknown> = {}): Promise<Job> {
  const pin = action === "upload" ? {} : { workerId };
  const r = await api.createJobs({ action, targets: { devices: [id] }, params: { ...pin, ...params } });
  return settledJob(api, r.jobs[0]!.jobId, 60_000);
}

/** Waits until the inventory read the device's config with these verification keys and version. */
async function configRead(id: string, keys: string[], version: string): Promise<void> {
  await waitFor(async () => {
    const d = await device(id).catch(() => null);
    return d?.signedOta?.verificationKeys.join() === keys.join() && d.project?.version === version;
  }, `${id}'s config to be read`);
}

function signedRecords(unsigned: string): number {
  const db = new Database(join(dataDir, "forge.db"), { readonly: true });
  try {
    return (
      db.prepare("SELECT COUNT(*) AS n FROM ota_signed_images WHERE unsigned_sha256 = ?").get(unsigned) as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dataDir = tempDir();
  mkdirSync(join(dataDir, "config"), { recursive: true });
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  stops.push(() => sc.stop());
  api = new Api(sc.url, sc.token);
  writeFileSync(join(dataDir, "config", "secrets.yaml"), 'wifi_ssid: "lab"\nwifi_password: "correct horse"\n');
  keyA = await api.json<OtaKey>("POST", "/trust/ota-keys", { name: "forge-a" });
  writeDevice("vault", { version: "1.2.0", keys: [keyA.digest] });
  writeDevice("ward", { version: "2.0.0", keys: [keyA.digest] });
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
  worker = startWorker({ url: sc.url, token: secret, name: "w" });
  stops.push(() => worker.stop());
  const w = await waitFor(
    async () =>
      (await api.json<{ workers: { id: string; online: boolean }[] }>("GET", "/workers")).workers.find((x) => x.online),
    "worker online",
  );
  workerId = w.id;
  flasher = await startFlasher(api, sc.url); // flashes what "w" built (a builder never flashes)
  stops.push(() => flasher.stop());
  await configRead("vault", [keyA.digest], "1.2.0");
  await configRead("ward", [keyA.digest], "2.0.0");
}, 120_000);

afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

describe("signed OTA through the fleet", () => {
  it("compile_upload flashes the approved image with Forge's block; the device accepts it and the view says device_enforced", async () => {
    const job = await run("compile_upload", "vault");
    expect(job.state, `${job.error}\n${await api.log(job.id)}`).toBe("succeeded");
    // Built by "w", flashed by the flasher.
    expect(job).toMatchObject({ step: "flash", builtBy: workerId });
    expect(job.workerId).not.toBe(workerId);
    const unsigned = otaImageOf(job);
    const sent = flashed("vault");
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toBe(unsigned);
    const bytes = await firmware(sent[0]!);
    const approved = await firmware(unsigned);
    expect(bytes.subarray(0, approved.length).equals(approved)).toBe(true);
    expect(fakeDeviceCheck(bytes, { trustedKeyDigests: [keyA.digest], runningVersion: "1.1.0" })).toMatchObject({
      error: null,
      version: "1.2.0",
    });
    expect(fakeDeviceCheck(approved, { trustedKeyDigests: [keyA.digest] }).error).toBe(0x8d);
    expect(await api.log(job.id)).toMatch(/signed OTA: signed with 1 key/);

    const d = await waitFor(async () => {
      const v = await device("vault");
      return v.trust.running.state === "device_enforced" ? v : null;
    }, "vault to read device_enforced");
    expect(d.trust.running.firmwareSha256).toBe(sent[0]);
    expect(d.otaSigning).toMatchObject({
      otaSigned: true,
      configured: true,
      forgeSigns: true,
      trustedKeys: [keyA.digest],
      downgradeProtection: true,
      lastProjectVersion: "1.2.0",
    });

    // An upload of the stored firmware sends the same signed image (signed once per approval and key set).
    const up = await run("upload", "vault");
    expect(up.state, up.error ?? "").toBe("succeeded");
    expect(flashed("vault")).toEqual([sent[0], sent[0]]);
  });

  it("a lower project version is refused before a byte is sent, with the reason", async () => {
    writeDevice("vault", { version: "1.1.9", keys: [keyA.digest] });
    await configRead("vault", [keyA.digest], "1.1.9");
    const before = flashed("vault").length;
    const job = await run("compile_upload", "vault");
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/downgrade protection and project version 1\.1\.9 is older than the running 1\.2\.0/);
    expect(flashed("vault")).toHaveLength(before);
  });

  it("a hostile builder's implant is never signed, and is refused for a device that enforces signed OTA even under warn", async () => {
    const good = await run("compile_upload", "ward");
    expect(good.state, good.error ?? "").toBe("succeeded");
    const flashesBefore = flashed("ward").length;
    // Warn keeps a build content trust refused (a YAML comment cannot lower the policy: the admin API can).
    const warn = await api.json<{ effective: string }>("PUT", "/trust/devices/ward/policy", { policy: "warn" });
    expect(warn.effective).toBe("warn");
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "hostile" });
    const key = generateSigningKey();
    const fake = new FakeWorker({ url: sc.url, token: secret, workerId: "hostile-1", enrolKey: key });
    stops.push(() => fake.close());
    await fake.welcomed;
    const r = await api.createJobs({
      action: "compile_upload",
      targets: { devices: ["ward"] },
      params: { workerId: "hostile-1" },
    });
    const a = await fake.nextAssign(r.jobs[0]!.jobId);
    // Its step is a build: no device address, nothing to flash.
    expect(a).toMatchObject({ action: "compile", address: null, firmware: [] });
    // It signs provenance over a clean build and sends an implant instead.
    const clean = buildEspAppImage({ codeSize: 40_000, projectVersion: "2.0.0", seed: 5 });
    const implant = buildEspAppImage({ codeSize: 40_000, projectVersion: "2.0.0", seed: 666 });
    const img = fake.sendFirmware(a, "firmware.ota.bin", implant);
    const cleanImage = { ...img, sha256: FakeWorker.digest(clean) };
    const bundle = await fake.provenance(a, [cleanImage], key);
    // Asking to flash it itself (the old gate) is always refused, and no image comes back.
    fake.send({ type: "provenance", jobId: a.jobId, fence: a.fence, bundle });
    const answer = await fake.approvalFor(a);
    expect(answer.allow).toBe(false);
    expect(answer.flashImage).toBeUndefined();
    // It reports the implant as its finished build; under warn the build passes with a warning, and
    // the flash step refuses it before a byte is sent: the device's firmware enforces signed OTA.
    fake.sendFirmware(a, "firmware.ota.bin", implant); // the refused request dropped its upload
    fake.result(a, { phase: "compile", firmware: [img], provenance: bundle });
    const job = await settledJob(api, a.jobId, 60_000);
    expect(job.state, await api.log(a.jobId)).toBe("failed");
    expect(job.error).toMatch(/enforces signed OTA and would refuse this image: the image carries no signature block/);
    expect(signedRecords(img.sha256)).toBe(0);
    expect(flashed("ward")).toHaveLength(flashesBefore);
    expect(fake.received.filter((m) => m.type === "assign" && m.action === "upload")).toEqual([]);
    expect(await api.log(a.jobId)).toMatch(/content trust refused the build: .*\(warn mode: kept\)/);
    fake.close();
    await api.json("PUT", "/trust/devices/ward/policy", { policy: null });
  });

  it("rotation: two active keys dual-sign; the device's trusted keys follow its firmware; retire leaves only the new block", async () => {
    const rot = await api.json<{ added: OtaKey; steps: string[] }>("POST", "/trust/ota-keys/rotate", {
      name: "forge-b",
    });
    const keyB = rot.added;
    expect(rot.steps[0]).toContain(keyB.digest);
    // Every signed-OTA device's view learns the new key at once (its config does not trust it yet).
    await waitFor(
      async () => (await device("ward")).otaSigning?.missingKeys.includes(keyB.digest),
      "ward's view to list the new key as missing",
    );
    writeDevice("vault", { version: "1.3.0", keys: [keyA.digest, keyB.digest] });
    await configRead("vault", [keyA.digest, keyB.digest], "1.3.0");
    const both = await run("compile_upload", "vault");
    expect(both.state, both.error ?? "").toBe("succeeded");
    const dual = await firmware(flashed("vault").at(-1)!);
    expect(fakeDeviceCheck(dual, { trustedKeyDigests: [keyA.digest] }).error).toBeNull(); // old firmware
    expect(fakeDeviceCheck(dual, { trustedKeyDigests: [keyB.digest] }).error).toBeNull(); // new firmware
    await waitFor(
      async () => (await device("vault")).otaSigning?.trustedKeys?.length === 2,
      "vault to trust both keys",
    );

    await api.json("POST", `/trust/ota-keys/${keyA.digest}/retire`, {});
    writeDevice("vault", { version: "1.4.0", keys: [keyB.digest] });
    await configRead("vault", [keyB.digest], "1.4.0");
    const after = await run("compile_upload", "vault");
    expect(after.state, after.error ?? "").toBe("succeeded");
    const single = await firmware(flashed("vault").at(-1)!);
    expect(fakeDeviceCheck(single, { trustedKeyDigests: [keyB.digest] }).error).toBeNull();
    expect(fakeDeviceCheck(single, { trustedKeyDigests: [keyA.digest] }).error).toBe(0x8d);
    // ward's firmware trusts only the retired key: Forge cannot sign an image it would accept.
    const stuck = await run("compile_upload", "ward");
    expect(stuck.state).toBe("failed");
    expect(stuck.error).toMatch(/none of Forge's active keys is in verification_keys/);
  });

  it("the YAML helper applies the block through the config workspace: one commit with author and source, then the config reads as signed OTA", async () => {
    const plain = [
      "esphome:",
      "  name: newbie",
      "esp32:",
      "  board: esp32-s3-devkitc-1",
      "  framework:",
      "    type: esp-idf",
      "",
    ];
    writeFileSync(join(dataDir, "config", "newbie.yaml"), plain.join("\n"));
    await waitFor(async () => (await device("newbie").catch(() => null))?.name === "newbie", "newbie in the inventory");
    const active = (await api.json<{ keys: OtaKey[] }>("GET", "/trust/ota-keys")).keys.filter(
      (k) => k.state === "active",
    );
    const plan = await api.json<DeviceSignedOtaPlan>("GET", "/devices/newbie/signed-ota");
    expect(plan.keys).toEqual(active.map((k) => k.digest));
    expect(plan.yaml).toContain(active[0]!.digest);
    expect(plan.applyError).toBeNull();
    expect(plan.apply!.changed).toBe(true);

    // A stale If-Match changes nothing.
    const stale = await api.raw("POST", "/devices/newbie/signed-ota/apply", {}, { "if-match": "0".repeat(64) });
    expect(stale.status).toBe(409);
    const res = await api.raw(
      "POST",
      "/devices/newbie/signed-ota/apply",
      {},
      { "if-match": plan.apply!.sha256, "x-forge-user": "Ada", "x-forge-source": "card" },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const saved = (await res.json()) as { commit: string; validation: unknown[] };
    expect(saved.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(dataDir, "config", "newbie.yaml"), "utf8")).toBe(plan.apply!.content);
    const history = await api.json<HistoryPage>("GET", "/devices/newbie/history");
    expect(history.entries[0]).toMatchObject({ commit: saved.commit, author: "Ada", source: "card" });
    await waitFor(
      async () => (await device("newbie")).signedOta?.verificationKeys.join() === plan.keys.join(),
      "newbie's config to enable signed OTA with Forge's keys",
    );
    expect((await device("newbie")).otaSigning).toMatchObject({ configured: true, forgeSigns: true, otaSigned: false });

    // An ESP8266 cannot take the block: the helper says why instead of offering to apply it.
    writeFileSync(join(dataDir, "config", "plug.yaml"), "esphome:\n  name: plug\nesp8266:\n  board: d1_mini\n");
    await waitFor(async () => (await device("plug").catch(() => null))?.name === "plug", "plug in the inventory");
    const refused = await api.json<DeviceSignedOtaPlan>("GET", "/devices/plug/signed-ota");
    expect(refused.apply).toBeNull();
    expect(refused.applyError).toMatch(/no esp32: mapping/);
  });
});
