// A worker acts only on its own jobs. A real sidecar with a real worker process ("good") doing the
// work, and a protocol-faithful malicious worker (test-support/fake-worker.ts) holding its own valid
// token. The attacker is even handed each job's current fencing token (read from the database, as if
// it leaked): knowing the fence is not enough, only the worker holding the job may speak for it.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { settledJob, startFlasher, type WorkerProc } from "../test-support/fleet-jobs.js";
import { leakedFence } from "../test-support/job-db.js";

let sc: SidecarProc;
let api: Api;
let goodId = "";
let mallory: FakeWorker;
const malloryKey = generateSigningKey();
const stops: { stop(): unknown }[] = [];
/** 300 000 job refs in one heartbeat (9 MB), built before any worker connects: building it blocks this process. */
const FLOOD = `{"type":"heartbeat","runningJobs":[${Array.from({ length: 300_000 }, (_, i) => `{"jobId":${i + 1},"fence":"${String(i).padStart(22, "0")}"}`).join(",")}]}`;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "victim-compile", standin: ["sleep-ms=3000"] },
    { id: "victim-flash", standin: ["sleep-ms=3000", "fail-at=upload"] },
    { id: "victim-log", standin: ["sleep-ms=3000"] },
    { id: "victim-release", standin: ["sleep-ms=5000"] },
    { id: "victim-gate", standin: ["sleep-ms=3000"] },
    { id: "hangs", standin: ["hang=compile"] },
    { id: "own" },
    { id: "leftover" },
  ]);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--lease-ms", "4000"],
    localSlots: 0,
    env: { FORGE_FIRMWARE_GC_GRACE_MS: "1000" },
  });
  api = new Api(sc.url, sc.token);
  await realWorker("good", 4);
  goodId = await workerId("good");
  stops.push(await startFlasher(api, sc.url)); // flashes what "good" built (a builder never flashes)
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "mallory" });
  mallory = new FakeWorker({ url: sc.url, token: secret, workerId: "mallory", enrolKey: malloryKey });
  stops.push({ stop: () => mallory.close() });
  await mallory.welcomed;
});
afterAll(async () => {
  for (const s of stops) await s.stop();
  await sc?.stop();
});

async function realWorker(name: string, slots = 1): Promise<WorkerProc> {
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
  const w = startWorker({ url: sc.url, token: secret, name, slots });
  stops.push(w);
  return w;
}

async function workerId(name: string): Promise<string> {
  const w = await waitFor(
    async () =>
      (await api.json<{ workers: { id: string; name: string; online: boolean }[] }>("GET", "/workers")).workers.find(
        (x) => x.name === name && x.online,
      ),
    `${name} online`,
  );
  return w.id;
}

async function queue(action: Job["action"], device: string, workerId: string): Promise<number> {
  const r = await api.createJobs({ action, targets: { devices: [device] }, params: { workerId } });
  return r.jobs[0]!.jobId;
}

/** Once the holder has started the job: its current fence, as an attacker who learned it would use it. */
async function leak(id: number, not?: unknown): Promise<NonNullable<ReturnType<typeof leakedFence>>> {
  return waitFor(async () => {
    const j = await api.job(id);
    if (j.state !== "running" || j.phase === null) return null;
    const fence = leakedFence(sc.dataDir, id);
    return fence !== not ? fence : null;
  }, `job ${id} to run`);
}

const settled = (id: number) => settledJob(api, id);
const device = (id: string) => api.json<Device>("GET", `/devices/${id}`);
const firmwareStatus = async (sha: string) => (await api.raw("GET", `/firmware/${sha}`)).status;

describe("a worker that does not hold a job cannot act on it", () => {
  it("cannot complete another worker's compile: its result is refused, the holder's result and trust decision stand", async () => {
    const id = await queue("compile", "victim-compile", goodId);
    const ref = { jobId: id, fence: await leak(id) };
    const from = mallory.received.length;
    mallory.result(ref, { outcome: "succeeded", firmware: [] });
    const ack = await mallory.next("ack", (a) => a.jobId === id, from);
    expect(ack.accepted).toBe(false);
    expect(ack.reason).toMatch(/does not hold job/);

    const job = await settled(id);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.workerId).toBe(goodId);
    expect(job.firmware.length).toBeGreaterThan(0);
    expect(job.trust).toMatchObject({ state: "verified", outcome: "allowed", stage: "approval" });
  });

  it("cannot record another worker's compile_upload as flashed", async () => {
    const id = await queue("compile_upload", "victim-flash", goodId);
    const ref = { jobId: id, fence: await leak(id) };
    const { esphomeVersion } = await api.job(id);
    const from = mallory.received.length;
    mallory.result(ref, { outcome: "succeeded", phase: "upload", firmware: [], esphomeVersion });
    expect((await mallory.next("ack", (a) => a.jobId === id, from)).accepted).toBe(false);

    // The holder's real outcome: the upload failed, so nothing was flashed.
    const job = await settled(id);
    expect(job.state).toBe("failed");
    expect(job.phase).toBe("upload");
    const d = await device("victim-flash");
    expect(d.lastFlash).toBeNull();
    expect(d.outdated).toBe(true);
  });

  it("cannot write into another job's log or move its phase; it is told to drop the job", async () => {
    const id = await queue("compile", "victim-log", goodId);
    const fence = await leak(id);
    const from = mallory.received.length;
    const forged = "\n[forge] content trust: build approved in 0.1 ms (sequence 4242, log index 4242)\n";
    mallory.send({ type: "log", jobId: id, fence, seq: 1, keptFrom: 1, chunk: forged });
    mallory.send({ type: "progress", jobId: id, fence, phase: "upload", percent: 99 });
    mallory.send({ type: "started", jobId: id, fence, phase: "upload" });
    await mallory.barrier();
    const abandon = await mallory.next("abandon", (m) => m.jobId === id, from);
    expect(abandon.reason).toMatch(/does not hold job/);
    // Once per job, however many messages the non-holder sends about it.
    expect(mallory.received.slice(from).filter((m) => m.type === "abandon" && m.jobId === id)).toHaveLength(1);
    // The forged chunk is neither stored nor acknowledged: `abandon` is the only answer about the job.
    expect(mallory.received.slice(from).filter((m) => m.type === "log_ack")).toEqual([]);

    const job = await settled(id);
    expect(job.state).toBe("succeeded");
    const log = await api.log(id);
    expect(log).not.toContain("sequence 4242");
    expect(log).toContain("[forge] content trust: build approved");
  });

  it("cannot release a job pinned elsewhere, however often it tries", async () => {
    const id = await queue("compile", "victim-release", goodId);
    const answers: boolean[] = [];
    let last: unknown = undefined;
    for (let i = 0; i < 3; i++) {
      const fence = await leak(id, answers.at(-1) ? last : undefined);
      last = fence;
      const from = mallory.received.length;
      mallory.send({ type: "release", jobId: id, fence, reason: "no free slot (1 of 1 busy)" });
      answers.push((await mallory.next("ack", (a) => a.jobId === id, from)).accepted);
    }
    expect(answers).toEqual([false, false, false]);
    const job = await settled(id);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.attempts).toBe(1);
  });

  it("cannot keep a dead worker's job alive by renewing its lease", async () => {
    const doomed = await realWorker("doomed");
    const doomedId = await workerId("doomed");
    const id = await queue("compile", "hangs", doomedId);
    const fence = await leak(id);
    doomed.proc.kill("SIGKILL");
    mallory.heartbeatRefs = [{ jobId: id, fence }];
    try {
      const job = await waitFor(
        async () => {
          const j = await api.job(id);
          return j.state !== "running" && j.state !== "queued" ? j : null;
        },
        "the dead worker's lease to lapse",
        15_000,
      );
      // Pinned to a worker that is gone: it waits, blocked, for that worker to come back.
      expect(job.state).toBe("blocked");
      expect(job.blockedReason).toMatch(
        new RegExp(`^pinned to worker ${doomedId} \\(params.workerId\\), which is offline`),
      );
      expect(await api.log(id)).toMatch(/lease expired on worker/);
    } finally {
      mallory.heartbeatRefs = null;
      await api.json("POST", `/jobs/${id}/cancel`);
    }
  });

  it("an approval request for a job it does not hold is answered no, and decides nothing", async () => {
    const id = await queue("compile_upload", "victim-gate", goodId);
    const ref = { jobId: id, fence: await leak(id) };
    const bytes = randomBytes(64 * 1024); // above the image floor: refused for not holding the job, not for its size
    const img = mallory.sendFirmware(ref, "firmware.ota.bin", bytes);
    mallory.send({ type: "provenance", ...ref, bundle: "{}" });
    const answer = await mallory.approvalFor(ref);
    expect(answer.allow).toBe(false);
    expect(answer.error).toMatch(/does not hold job/);
    expect(await firmwareStatus(img.sha256)).toBe(404); // bytes for a job it does not hold are never archived
    // The holder's own approval and flash go through untouched.
    const job = await settled(id);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.trust).toMatchObject({ state: "verified", outcome: "allowed", stage: "gate" });
  });
});

describe("results the holder sends", () => {
  it("a result refused as stale leaves no verdict on the job", async () => {
    const id = await queue("compile", "own", "mallory");
    const a = await mallory.nextAssign(id);
    const img = mallory.sendFirmware(a, "firmware.ota.bin", randomBytes(64 * 1024));
    const provenance = await mallory.provenance(a, [img], malloryKey);
    mallory.result(a, { firmware: [img], provenance, esphomeVersion: a.esphomeVersion });
    const done = await settled(id);
    expect(done.state, done.error ?? "").toBe("succeeded");
    expect(done.trust).toMatchObject({ state: "verified", outcome: "allowed", stage: "approval" });

    // The result again, now stale, with a garbled bundle: refused, and the decision stays.
    const from = mallory.received.length;
    mallory.result(a, { firmware: [], provenance: "{garbage", esphomeVersion: a.esphomeVersion });
    expect((await mallory.next("ack", (m) => m.jobId === id, from)).accepted).toBe(false);
    const after = await api.job(id);
    expect(after.trust).toEqual(done.trust);
    expect(after.state).toBe("succeeded");
  });

  it("firmware uploaded for a job that then failed is deleted after a short grace; referenced firmware stays", async () => {
    const kept = (await api.json<{ jobs: Job[] }>("GET", "/jobs?device=own&state=succeeded")).jobs[0]!;
    const id = await queue("compile", "leftover", "mallory");
    const a = await mallory.nextAssign(id);
    const img = mallory.sendFirmware(a, "firmware.ota.bin", randomBytes(64 * 1024));
    await mallory.barrier();
    await waitFor(async () => (await firmwareStatus(img.sha256)) === 200, "the upload to be archived");
    mallory.result(a, { outcome: "failed", phase: "compile", error: "gave up", firmware: [] });
    expect((await settled(id)).state).toBe("failed");
    await waitFor(async () => (await firmwareStatus(img.sha256)) === 404, "the unreferenced upload to be deleted");
    expect(await firmwareStatus(kept.firmware[0]!.sha256)).toBe(200);
  });
});

describe("bounded messages", () => {
  it("a heartbeat listing hundreds of thousands of jobs is refused at once and the sidecar stays responsive", async () => {
    const from = mallory.received.length;
    let slowest = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const t0 = performance.now();
        await api.raw("GET", "/health");
        slowest = Math.max(slowest, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 100));
      mallory.sendRaw(FLOOD);
      const err = await mallory.next("error", (e) => e.code === "message_too_large", from);
      expect(err.message).toMatch(/bytes/);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      polling = false;
      await poll;
    }
    // Generous for a busy 2-core machine; parsing and renewing 300 000 refs one by one took seconds.
    expect(slowest).toBeLessThan(1000);
    // The connection carries on.
    await mallory.barrier();
  });
});
