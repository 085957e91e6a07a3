// Two correctness rules found by black-box tests, on a real sidecar with a real stand-in worker:
// an empty or implausibly small firmware image is refused on receipt whatever the trust policy (it
// never becomes what the next upload flashes), and the served log never exceeds the log cap, the
// truncation marker included.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob, standinFlashes, startFlasher, type WorkerProc } from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;
let flasher: WorkerProc;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "empty", standin: ["firmware-bytes=0", "sleep-ms=50"] },
    { id: "tiny", platform: "esp8266", standin: ["firmware-bytes=1000", "sleep-ms=50"] },
    { id: "normal", standin: ["sleep-ms=50"] },
    { id: "chatty", standin: ["log-bytes=120000", "sleep-ms=50"] },
  ]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
  worker = startWorker({ url: sc.url, token: secret, name: "w" });
  flasher = await startFlasher(api, sc.url); // flashes what "w" built (a builder never flashes)
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "worker online",
  );
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await flasher?.stop();
  await sc?.stop();
});

async function run(action: "compile" | "compile_upload" | "upload", device: string) {
  const { jobs } = await api.createJobs({ action, targets: { devices: [device] } });
  return settledJob(api, jobs[0]!.jobId);
}

describe("implausible firmware images", () => {
  for (const policy of ["off", "warn"] as const) {
    it(`a 0-byte image fails the compile under trust ${policy} and never becomes the stored firmware`, async () => {
      await api.json("PATCH", "/settings", { trustPolicy: policy });
      const job = await run("compile", "empty");
      expect(job.state).toBe("failed");
      expect(job.error).toMatch(
        /firmware firmware\.ota\.bin failed its check on receipt: firmware firmware\.ota\.bin is empty \(0 bytes\), refused whatever the trust policy: esp32 images are at least 32768 bytes/,
      );
      expect(job.firmware).toEqual([]);
      expect(await api.log(job.id)).toContain("is empty (0 bytes)");
      const device = await api.json<Device>("GET", "/devices/empty");
      expect(device.storedFirmware ?? null).toBeNull();
      // …so an upload has nothing to flash, instead of flashing nothing.
      const upload = await run("upload", "empty");
      expect(upload.state).toBe("failed");
      expect(upload.error).toMatch(/no staged firmware/);
      expect(standinFlashes(flasher, "empty")).toBe(0);
    });
  }

  it("compile_upload of a too-small image is refused at the gate under warn: nothing is flashed", async () => {
    await api.json("PATCH", "/settings", { trustPolicy: "warn" });
    const job = await run("compile_upload", "tiny");
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/firmware\.bin is only 1000 bytes.*esp8266 images are at least 32768 bytes/);
    expect(standinFlashes(flasher, "tiny")).toBe(0);
  });

  it("a normal build is not affected", async () => {
    await api.json("PATCH", "/settings", { trustPolicy: "warn" });
    const job = await run("compile_upload", "normal");
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(standinFlashes(flasher, "normal")).toBe(1);
  });

  it("a CI upload of an empty-looking image is refused with the floor named", async () => {
    const res = await api.raw("POST", "/trust/external-firmware", {
      deviceId: "normal",
      firmware: Buffer.alloc(512, 1).toString("base64"),
      bundle: {},
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/is only 512 bytes, refused whatever the trust policy/);
  });
});

describe("log cap", () => {
  it("the served log, marker included, never exceeds the cap (REST and the events stream)", async () => {
    const cap = 16_384;
    await api.json("PATCH", "/settings", { logCapBytes: cap, trustPolicy: "enforce" });
    const job = await run("compile", "chatty");
    expect(job.logTruncated).toBe(true);
    const res = await api.raw("GET", `/jobs/${job.id}/log`);
    const text = await res.text();
    expect(text).toMatch(/^\[… \d+ bytes of earlier output dropped \(log cap 16 KiB\) …\]\n/);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(cap);
    expect(Number(res.headers.get("x-log-start-offset")) + Buffer.byteLength(text)).toBe(
      Number(res.headers.get("x-log-end-offset")),
    );
    const events = new EventsClient(sc.url, sc.token);
    try {
      await events.opened;
      events.send({ type: "subscribe_log", jobId: job.id, offset: 0 });
      const first = await waitFor(() => events.of("log").find((e) => e.jobId === job.id), "the stored log");
      expect(Buffer.byteLength(first.chunk)).toBeLessThanOrEqual(cap);
      expect(first.truncatedBefore).toBe(true);
    } finally {
      events.close();
    }
  });
});
