// Upload jobs, results kept until acknowledged, and jobs that live through a reconnect
// (stand-in build command, fake sidecar).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assign, deviceYaml, sleep, waitUntil } from "../../test-support/helpers.js";
import { fakeSidecarSuite, standinPids, startTestWorker } from "../../test-support/worker-harness.js";
import { pidAlive } from "./process-group.js";
import { WARM_MARKER } from "./worker-state.js";

const t = fakeSidecarSuite();
const { setup, resultOf } = t;
const uploadsFile = (stateDir: string, deviceId: string) =>
  path.join(stateDir, "builds", deviceId, ".esphome", "standin-uploads.jsonl");

describe("upload", () => {
  it("never flashes an image it built: a compile_upload assignment is refused before anything runs", async () => {
    const { stateDir } = await setup();
    const job = assign("kitchen", { action: "compile_upload", address: "192.0.2.7" });
    t.fake.send(job);
    const r = await resultOf(job.jobId);
    expect(r).toMatchObject({ outcome: "failed", phase: "prepare", firmware: [] });
    expect(r.error).toMatch(/never flashes an image it built/);
    expect(existsSync(uploadsFile(stateDir, "kitchen"))).toBe(false);
    expect(t.fake.of("progress").some((m) => m.jobId === job.jobId && m.phase === "compile")).toBe(false);
  });

  it("upload fetches the archived firmware with the worker token, checks it and flashes it", async () => {
    const { stateDir } = await setup();
    const bytes = Buffer.from("archived firmware image ".repeat(1000));
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    t.fake.served.set(sha256, bytes);
    const image = { name: "firmware.ota.bin", sha256, size: bytes.length, kind: "ota" as const };
    const job = assign("kitchen", {
      action: "upload",
      address: "192.0.2.8",
      firmware: [{ ...image, name: "firmware.factory.bin", kind: "factory", sha256: "f".repeat(64) }, image],
    });
    t.fake.send(job);
    const r = await resultOf(job.jobId);
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ outcome: "succeeded", phase: "upload", firmware: [] });
    const flashed = JSON.parse(readFileSync(uploadsFile(stateDir, "kitchen"), "utf8").trim()) as {
      address: string;
      sha256: string;
    };
    expect(flashed).toMatchObject({ address: "192.0.2.8", sha256 });
    // The downloaded copy does not linger.
    expect(readdirSync(path.join(stateDir, "firmware"))).toEqual([]);
  });

  it("upload refuses firmware whose digest does not match, at the upload phase", async () => {
    await setup();
    const bytes = Buffer.from("tampered");
    const claimed = "a".repeat(64);
    t.fake.served.set(claimed, bytes);
    const job = assign("kitchen", {
      action: "upload",
      firmware: [{ name: "firmware.ota.bin", sha256: claimed, size: bytes.length, kind: "ota" }],
    });
    t.fake.send(job);
    const r = await resultOf(job.jobId);
    expect(r).toMatchObject({ outcome: "failed", phase: "upload" });
    expect(r.error).toMatch(/sha256 .* expected a{64}/);
  });
});

describe("results until acknowledged", () => {
  it("re-sends an unacknowledged result and its firmware after a reconnect, and forgets it once acked", async () => {
    await setup({}, { backoff: { minMs: 30, maxMs: 60 } });
    t.fake.autoAck = false;
    const job = assign("kitchen");
    t.fake.send(job);
    const first = await resultOf(job.jobId, 1);
    t.fake.dropConnection();
    const hello2 = await t.fake.waitFor((m) => m.type === "hello" && m.conn === 2);
    expect(hello2.type === "hello" && hello2.runningJobs).toEqual([{ jobId: job.jobId, fence: job.fence }]);
    const second = await resultOf(job.jobId, 2);
    expect({ ...second, conn: 0, at: 0 }).toEqual({ ...first, conn: 0, at: 0 });
    expect(t.fake.firmware.filter((f) => f.conn === 2 && f.jobId === job.jobId).map((f) => f.sha256)).toEqual(
      first.firmware.map((f) => f.sha256),
    );

    t.fake.ack(job.jobId, job.fence, true);
    await sleep(100);
    t.fake.dropConnection();
    const hello3 = await t.fake.waitFor((m) => m.type === "hello" && m.conn === 3);
    expect(hello3.type === "hello" && hello3.runningJobs).toEqual([]);
    await sleep(300);
    expect(t.fake.of("result").filter((m) => m.conn === 3)).toEqual([]);
  });

  it("drops a result quietly when the ack says the fence is stale", async () => {
    await setup({}, { backoff: { minMs: 30, maxMs: 60 } });
    t.fake.autoAck = false;
    const job = assign("kitchen");
    t.fake.send(job);
    await resultOf(job.jobId);
    t.fake.ack(job.jobId, job.fence, false);
    await sleep(100);
    t.fake.dropConnection();
    const hello2 = await t.fake.waitFor((m) => m.type === "hello" && m.conn === 2);
    expect(hello2.type === "hello" && hello2.runningJobs).toEqual([]);
  });
});

describe("reconnecting with jobs in flight", () => {
  it("lists a running job in hello, continues it when told, and reports on the new connection", async () => {
    await setup({}, { backoff: { minMs: 30, maxMs: 60 } });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=1000"] }) });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "progress" && m.jobId === job.jobId);
    t.fake.dropConnection();
    const hello2 = await t.fake.waitFor((m) => m.type === "hello" && m.conn === 2);
    expect(hello2.type === "hello" && hello2.runningJobs).toEqual([{ jobId: job.jobId, fence: job.fence }]);
    expect((await resultOf(job.jobId)).conn).toBe(2);
  });

  it("kills and forgets the jobs the sidecar abandons", async () => {
    const abandonAll = (h: { runningJobs: { jobId: number; fence: string }[] }) => ({
      continueJobs: [],
      abandonJobs: h.runningJobs,
    });
    const fake = await t.startFake({ decide: abandonAll });
    const { stateDir } = startTestWorker(fake, { backoff: { minMs: 30, maxMs: 60 } });
    await t.fake.waitFor((m) => m.type === "proof");
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["hang=compile spawn-grandchild=1"] }) });
    t.fake.send(job);
    const pids = await standinPids(stateDir, "kitchen");
    t.fake.dropConnection();
    await t.fake.waitFor((m) => m.type === "hello" && m.conn === 2);
    await waitUntil(() => pids.every((p) => !pidAlive(p)), "the abandoned build to die", 3000);
    await t.fake.waitFor((m) => m.type === "heartbeat" && m.conn === 2);
    await sleep(200);
    expect(t.fake.of("result")).toEqual([]);
    expect(t.fake.of("release")).toEqual([]);
  });
});

describe("a job the worker no longer holds", () => {
  it("is stopped and forgotten at once on `abandon`: its slot is free, no result, no release", async () => {
    const { stateDir } = await setup({ heartbeatMs: 100 }, { slots: 1 });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["hang=compile spawn-grandchild=1"] }) });
    t.fake.send(job);
    const pids = await standinPids(stateDir, "kitchen");
    t.fake.send({ type: "abandon", jobId: job.jobId, fence: job.fence, reason: "lease lapsed" });
    await waitUntil(() => pids.every((p) => !pidAlive(p)), "the abandoned build to die", 3000);
    const next = assign("porch");
    t.fake.send(next);
    expect((await resultOf(next.jobId)).outcome).toBe("succeeded");
    await t.fake.waitFor((m) => m.type === "heartbeat" && m.runningJobs.length === 0 && m.slots === 1);
    expect(t.fake.of("result").map((r) => r.jobId)).toEqual([next.jobId]);
    expect(t.fake.of("release")).toEqual([]);
  });

  it("an interrupted build leaves its folder cold; a completed one marks it warm", async () => {
    const { stateDir } = await setup();
    const marker = path.join(stateDir, "builds", "kitchen", WARM_MARKER);
    t.fake.send(assign("kitchen"));
    await t.fake.waitFor((m) => m.type === "result");
    expect(existsSync(marker)).toBe(true);
    const hung = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["hang=compile"] }) });
    t.fake.send(hung);
    await t.fake.waitFor((m) => m.type === "progress" && m.jobId === hung.jobId && m.phase === "compile");
    await waitUntil(() => !existsSync(marker), "the marker to go while the compile runs");
    t.fake.send({ type: "cancel", jobId: hung.jobId, fence: hung.fence, reason: "stop" });
    expect((await resultOf(hung.jobId)).outcome).toBe("cancelled");
    expect(existsSync(marker)).toBe(false);
  });
});
