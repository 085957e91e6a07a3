// Flash when the device is back (README "Devices as they are"), with real processes: a real sidecar that
// browses mDNS, a stand-in builder, and a flasher whose upload runs the real `esphome upload` into fake
// ESPHome devices (test-support/fake-ota-receiver.ts) whose presence is a fake mDNS responder on the LAN
// interface (test-support/fake-esphome-device.ts), as in presence.test.ts. One sidecar for every case:
// an offline device's flash waits and goes within seconds of its announcement, cancel while waiting,
// expiry, a sleeper that could not be reached, the whenOnline bulk arm, and waits across a restart.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Device, type Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import {
  freePort,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { FakeEsphomeDevice, lanIpv4 } from "../test-support/fake-esphome-device.js";
import { FakeOtaReceiver } from "../test-support/fake-ota-receiver.js";
import { settledJob, startFlasher } from "../test-support/fleet-jobs.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";

const LAN = lanIpv4();
const tag = randomBytes(3).toString("hex");
// Names unique to this run: other sidecars and fakes may share the link.
const id = (s: string) => `dw${tag}-${s}`;
const ids = {
  kit: id("kit"),
  can: id("can"),
  exp: id("exp"),
  slp: id("slp"),
  b1: id("b1"),
  b2: id("b2"),
  b3: id("b3"),
  off: id("off"),
};
const HOUR = 3_600_000;

let sc: SidecarProc;
let api: Api;
let ota: FakeOtaReceiver;
let sleeperOta: FakeOtaReceiver | null = null;
let sleeperPort: number;
let dropPort: number;
let dropOta: FakeOtaReceiver | null = null;
const workers: ProcHandle[] = [];
const fakes = new Map<string, FakeEsphomeDevice>();

function config(name: string, port: number, extra: string[] = []): string {
  return [
    "esphome:",
    `  name: ${name}`,
    "esp32:",
    "  board: esp32dev",
    "wifi:",
    '  ssid: "lab"',
    '  password: "not-a-real-pass"',
    "  use_address: 127.0.0.1",
    "ota:",
    "  - platform: esphome",
    `    port: ${port}`,
    ...extra,
    "",
  ].join("\n");
}

const device = (d: string) => api.json("GET", `/devices/${d}`, undefined, Device);
const untilDevice = (d: string, pred: (x: Device) => boolean, what: string) =>
  waitFor(async () => ((x) => (pred(x) ? x : null))(await device(d)), `${d}: ${what}`, 30_000);
const untilJob = (jobId: number, state: Job["state"], ms = 120_000) =>
  waitFor(
    async () => {
      const j = await api.job(jobId);
      if (j.state !== state && ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state))
        throw new Error(`job ${jobId} ended ${j.state}: ${j.error}\n${await api.log(jobId)}`);
      return j.state === state ? j : null;
    },
    `job ${jobId} ${state}`,
    ms,
  );

/** A fake device presence hears (it announces itself); `gone`: then it leaves with a goodbye. */
async function fake(name: string, n: number, gone = false): Promise<FakeEsphomeDevice> {
  const f = await FakeEsphomeDevice.start({
    name,
    mac: `02${tag}00${n.toString(16).padStart(2, "0")}`,
    // Forge's stand-in images are not signed: a device that enforces signed OTA would be refused them.
    txt: { ota_signed: "false" },
  });
  fakes.set(name, f);
  await untilDevice(name, (x) => x.online === true, "online");
  if (gone) {
    await f.goodbye();
    await untilDevice(name, (x) => x.online === false, "offline after its goodbye");
  }
  return f;
}

async function compileUpload(d: string, params = {}): Promise<number> {
  return (await api.createJobs({ action: "compile_upload", targets: { devices: [d] }, params })).jobs[0]!.jobId;
}

describe.skipIf(!LAN)(
  "flash when the device is back (skipped: no non-loopback IPv4 interface, and mDNS needs a multicast-capable one)",
  () => {
    beforeAll(async () => {
      ota = await FakeOtaReceiver.start({ password: null });
      sleeperPort = await freePort(); // nothing listens there until the sleeper wakes
      dropPort = await freePort();
      const dataDir = tempDir();
      const configDir = join(dataDir, "config");
      mkdirSync(configDir, { recursive: true });
      for (const d of Object.values(ids)) {
        const sleeps = d === ids.slp;
        const extra = sleeps ? ["deep_sleep:", "  run_duration: 20s", "  sleep_duration: 5min"] : [];
        const port = sleeps ? sleeperPort : d === ids.off ? dropPort : ota.port;
        writeFileSync(join(configDir, `${d}.yaml`), config(d, port, extra));
      }
      sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0, env: { FORGE_PRESENCE: "on" } });
      api = new Api(sc.url, sc.token);
      const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "builder" });
      workers.push(startWorker({ url: sc.url, token: secret, name: "builder" }));
      // The flasher's upload is the real ESPHome CLI; it never builds.
      workers.push(
        await startFlasher(api, sc.url, {
          extraArgs: ["--esphome", esphomeBin(), "--build-command-phases", "compile"],
        }),
      );
      await waitFor(
        async () =>
          (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.filter((w) => w.online)
            .length >= 2,
        "workers online",
      );
    }, 120_000);

    afterAll(async () => {
      await Promise.all([...fakes.values()].map((f) => f.stop()));
      await Promise.all(workers.map((w) => w.stop()));
      await sc?.stop();
      await ota?.close();
      await sleeperOta?.close();
      await dropOta?.close();
    });

    it("an offline device's compile_upload builds now, waits with its reason and end, and flashes the approved bytes once the device announces itself", async () => {
      const f = await fake(ids.kit, 1, true);
      const jobId = await compileUpload(ids.kit);
      const waiting = await untilJob(jobId, "waiting_for_device");
      expect(waiting).toMatchObject({ step: "flash", attempts: 0, workerId: null });
      expect(waiting.flashSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(waiting.blockedReason).toMatch(
        new RegExp(`^${ids.kit} is offline since \\S+ \\(last seen \\S+\\); flashed when it is back, until `),
      );
      const left = Date.parse(waiting.waitingUntil!) - Date.now();
      expect(left).toBeGreaterThan(167 * HOUR);
      expect(left).toBeLessThanOrEqual(168 * HOUR);
      // Nothing reaches the device while it is away, and the job stays put.
      expect(ota.attempts).toEqual([]);
      expect((await api.job(jobId)).state).toBe("waiting_for_device");

      await f.comeBack();
      const done = await settledJob(api, jobId, 120_000);
      expect(done.state, `${done.error}\n${await api.log(jobId)}`).toBe("succeeded");
      expect(ota.receipts.map((r) => r.sha256)).toEqual([waiting.flashSha256]);
      expect(ota.receipts[0]!.md5Ok).toBe(true);
      const log = await api.log(jobId);
      expect(log).toContain("[forge] waiting for the device:");
      expect(log).toContain("the device is online again; flashing it now");
    });

    it("cancel while waiting ends the job at once; nothing is flashed", async () => {
      await fake(ids.can, 2, true);
      const jobId = await compileUpload(ids.can);
      const waiting = await untilJob(jobId, "waiting_for_device");
      const cancelled = await api.json<Job>("POST", `/jobs/${jobId}/cancel`);
      expect(cancelled).toMatchObject({ id: jobId, state: "cancelled" });
      expect(await api.log(jobId)).toContain("cancelled while waiting for the device");
      expect(ota.receipts.map((r) => r.sha256)).not.toContain(waiting.flashSha256);
    });

    it("a wait past deviceWaitHours fails with the reason and keeps the build; a retry flashes the same image (and waits again)", async () => {
      for (const bad of [0, -1, 9000, "1"])
        expect((await api.raw("PATCH", "/settings", { deviceWaitHours: bad })).status, String(bad)).toBe(400);
      await fake(ids.exp, 3, true);
      await api.json("PATCH", "/settings", { deviceWaitHours: 0.002 }); // 7.2 s
      try {
        const jobId = await compileUpload(ids.exp);
        const failed = await settledJob(api, jobId, 120_000);
        expect(failed).toMatchObject({ state: "failed", phase: "upload", step: "flash" });
        expect(failed.error).toMatch(/did not come online before the wait ended .*the approved build is kept/);
        expect(await api.log(jobId)).toContain("[forge] waiting for the device:");
        const staged = await device(ids.exp);
        expect(staged.storedFirmware).toMatchObject({ jobId, firmwareSha256: failed.flashSha256 });

        await api.json("PATCH", "/settings", { deviceWaitHours: 168 });
        const retry = await api.json<{ jobs: { jobId: number }[] }>("POST", `/jobs/${jobId}/retry`);
        const again = await api.job(retry.jobs[0]!.jobId);
        expect(again).toMatchObject({ state: "waiting_for_device", step: "flash", flashSha256: failed.flashSha256 });
        expect(await api.log(again.id)).toContain("no recompile");
        await api.json("POST", `/jobs/${again.id}/cancel`);
      } finally {
        await api.json("PATCH", "/settings", { deviceWaitHours: 168 });
      }
    });

    it("a sleeper the flash could not reach waits as asleep without using an attempt, and is flashed when it wakes", async () => {
      const f = await fake(ids.slp, 4);
      expect((await device(ids.slp)).deepSleep).toBe(true);
      // Presence still says online, but nothing answers on its OTA port: it fell asleep.
      const jobId = await compileUpload(ids.slp);
      const waiting = await untilJob(jobId, "waiting_for_device", 180_000);
      expect(waiting).toMatchObject({ attempts: 0, phase: null, error: null });
      expect(waiting.blockedReason).toMatch(new RegExp(`^${ids.slp} sleeps \\(deep_sleep\\) and was not awake`));
      expect(await api.log(jobId)).toMatch(/could not reach the device .*not counted as an attempt/);

      await f.goodbye(); // asleep, as presence now sees too
      await untilDevice(ids.slp, (x) => x.online === false, "asleep");
      sleeperOta = await FakeOtaReceiver.start({ password: null, listenPort: sleeperPort });
      await f.comeBack(); // it wakes (and stays awake for the OTA)
      const done = await settledJob(api, jobId, 120_000);
      expect(done.state, `${done.error}\n${await api.log(jobId)}`).toBe("succeeded");
      expect(sleeperOta.receipts.map((r) => r.sha256)).toEqual([waiting.flashSha256]);
    });

    it("a device that drops off mid-OTA (presence sees it go) waits without using an attempt, and is flashed when it is back", async () => {
      dropOta = await FakeOtaReceiver.start({ password: null, listenPort: dropPort, hold: true });
      const f = await fake(ids.off, 8);
      const jobId = await compileUpload(ids.off);
      // The flasher has connected; the device leaves (goodbye) and the connection dies with it.
      await waitFor(() => dropOta!.held > 0, "the flasher's OTA connection", 120_000);
      await f.goodbye();
      await untilDevice(ids.off, (x) => x.online === false, "offline after its goodbye");
      await dropOta.close();
      dropOta = null;
      const waiting = await untilJob(jobId, "waiting_for_device");
      expect(waiting).toMatchObject({ attempts: 0, step: "flash" });
      expect(waiting.blockedReason).toMatch(new RegExp(`^${ids.off} is offline since .*flashed when it is back`));
      expect(await api.log(jobId)).toMatch(/could not reach the device .*not counted as an attempt/);

      dropOta = await FakeOtaReceiver.start({ password: null, listenPort: dropPort });
      await f.comeBack();
      const done = await settledJob(api, jobId, 120_000);
      expect(done.state, `${done.error}\n${await api.log(jobId)}`).toBe("succeeded");
      expect(dropOta.receipts.map((r) => r.sha256)).toEqual([waiting.flashSha256]);
    });

    it("whenOnline arms every outdated device: online ones flash now, the others wait, and the waits survive a restart", async () => {
      await fake(ids.b1, 5);
      const b3 = await fake(ids.b3, 7, true);
      const { jobs, skipped } = await api.createJobs({
        action: "compile_upload",
        targets: { outdated: true },
        priority: "bulk",
        params: { whenOnline: true },
      });
      expect(skipped).toEqual([]);
      const jobOf = (d: string) => jobs.find((j) => j.deviceId === d)!.jobId;
      // Flashed devices are not outdated; the rest (cancelled, expired, never flashed) are armed.
      expect(jobs.map((j) => j.deviceId).sort()).toEqual([ids.b1, ids.b2, ids.b3, ids.can, ids.exp].sort());

      const flashed = await settledJob(api, jobOf(ids.b1), 120_000);
      expect(flashed.state, `${flashed.error}\n${await api.log(flashed.id)}`).toBe("succeeded");
      expect(ota.receipts.map((r) => r.sha256)).toContain(flashed.flashSha256);
      const unseen = await untilJob(jobOf(ids.b2), "waiting_for_device");
      expect(unseen.blockedReason).toMatch(new RegExp(`^${ids.b2} has not been seen online yet`));
      const away = await untilJob(jobOf(ids.b3), "waiting_for_device");
      expect(away.blockedReason).toMatch(new RegExp(`^${ids.b3} is offline since`));

      // A restart: the waits are in SQLite, with their reasons and ends. The built-in worker flashes from now on.
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      await sc.stop();
      sc = await startSidecar({
        dataDir: sc.dataDir,
        args: ["--no-seed"],
        localSlots: 1,
        env: { FORGE_PRESENCE: "on" },
      });
      api = new Api(sc.url, sc.token);
      for (const j of [unseen, away])
        expect(await api.job(j.id)).toMatchObject({
          state: "waiting_for_device",
          blockedReason: j.blockedReason,
          waitingUntil: j.waitingUntil,
        });
      await b3.comeBack();
      const back = await settledJob(api, away.id, 120_000);
      expect(back.state, `${back.error}\n${await api.log(back.id)}`).toBe("succeeded");
      expect((await api.job(unseen.id)).state).toBe("waiting_for_device");
    });
  },
);
