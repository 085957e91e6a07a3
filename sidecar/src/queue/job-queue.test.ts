import { describe, expect, it } from "vitest";
import { Job, type JobPriority } from "@esphome-forge/shared";
import { ConflictError, NotFoundError } from "../util/errors.js";
import type { JobResult } from "./job-queue.js";
import { queueFixture, req, runJob } from "../../test-support/queue-fixture.js";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);
const ok: JobResult = { outcome: "succeeded", phase: null, error: null, firmware: [], esphomeVersion: null };

describe("enqueue and coalescing", () => {
  it("updates the queued job with the newest parameters instead of adding a second one", () => {
    const f = queueFixture();
    const a = f.queue.enqueue(
      req("kitchen", "compile", "interactive", {
        params: { esphomeVersion: "2026.9.0", workerTags: ["fast"] },
        configHash: SHA_A,
        esphomeVersion: "2026.9.0",
      }),
    );
    expect(a.coalesced).toBe(false);
    const b = f.queue.enqueue(
      req("kitchen", "compile", "interactive", {
        params: { esphomeVersion: "2026.10.1", address: "10.0.0.9" },
        source: "ha",
        configHash: SHA_B,
        esphomeVersion: "2026.10.1",
      }),
    );
    expect(b).toMatchObject({ coalesced: true, job: { id: a.job.id } });
    const job = Job.parse(f.queue.get(a.job.id));
    expect(job.params).toEqual({ esphomeVersion: "2026.10.1", address: "10.0.0.9" });
    expect(job).toMatchObject({ configHash: SHA_B, esphomeVersion: "2026.10.1", source: "ha", state: "queued" });
    expect(f.queue.queued()).toHaveLength(1);
  });

  it("keeps the stored config hash when a repeat does not name one", () => {
    const f = queueFixture();
    const a = f.queue.enqueue(req("kitchen", "compile", "bulk", { configHash: SHA_A }));
    f.queue.enqueue(req("kitchen"));
    expect(f.queue.get(a.job.id)!.configHash).toBe(SHA_A);
  });

  it("raises the priority of a coalesced job but never lowers it", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen", "compile", "bulk"));
    expect(f.queue.enqueue(req("kitchen", "compile", "automation")).job.priority).toBe("automation");
    expect(f.queue.enqueue(req("kitchen", "compile", "bulk")).job.priority).toBe("automation");
    expect(f.queue.enqueue(req("kitchen", "compile", "interactive")).job.priority).toBe("interactive");
    expect(f.queue.enqueue(req("kitchen", "compile", "scheduled")).job.priority).toBe("interactive");
    expect(f.queue.get(job.id)!.priority).toBe("interactive");
  });

  it("does not coalesce different actions or different devices", () => {
    const f = queueFixture();
    const ids = new Set([
      f.queue.enqueue(req("kitchen", "compile")).job.id,
      f.queue.enqueue(req("kitchen", "validate")).job.id,
      f.queue.enqueue(req("kitchen", "compile_upload")).job.id,
      f.queue.enqueue(req("porch", "compile")).job.id,
    ]);
    expect(ids.size).toBe(4);
  });

  it("allows a queued job beside a running one for the same device and action", () => {
    const f = queueFixture();
    const first = f.queue.enqueue(req("kitchen")).job;
    expect(f.queue.assign(first.id, "w1", "test")).toBeDefined();
    const second = f.queue.enqueue(req("kitchen"));
    expect(second.coalesced).toBe(false);
    expect(second.job.id).not.toBe(first.id);
    expect(f.queue.get(first.id)!.state).toBe("running");
    expect(f.queue.get(second.job.id)!.state).toBe("queued");
  });

  it("rejects malformed requests", () => {
    const f = queueFixture();
    expect(() => f.queue.enqueue(req("../etc"))).toThrow(/device id/);
    expect(() => f.queue.enqueue(req("kitchen", "flash" as never))).toThrow(/action/);
    expect(() => f.queue.enqueue(req("kitchen", "compile", "urgent" as JobPriority))).toThrow(/priority/);
  });

  it("emits the job after each committed change, and nothing for a refused one", () => {
    const f = queueFixture();
    const seen: string[] = [];
    f.queue.on("job", (j) => seen.push(`${j.id}:${j.state}`));
    const { job } = f.queue.enqueue(req("kitchen"));
    f.queue.requestCancel(job.id);
    expect(() => f.queue.requestCancel(job.id)).toThrow(ConflictError);
    expect(seen).toEqual([`${job.id}:queued`, `${job.id}:cancelled`]);
  });
});

describe("dispatch order and per-device exclusion", () => {
  it("orders by priority, then first come first served", () => {
    const f = queueFixture();
    const plan: [string, JobPriority][] = [
      ["d1", "bulk"],
      ["d2", "interactive"],
      ["d3", "bulk"],
      ["d4", "scheduled"],
      ["d5", "interactive"],
      ["d6", "automation"],
    ];
    for (const [d, p] of plan) f.queue.enqueue(req(d, "compile", p));
    expect(f.queue.queued().map((j) => j.deviceId)).toEqual(["d2", "d5", "d6", "d4", "d1", "d3"]);
    // A raised priority moves the job up, keeping its place among its new peers by age.
    f.queue.enqueue(req("d3", "compile", "interactive"));
    expect(f.queue.queued().map((j) => j.deviceId)).toEqual(["d2", "d3", "d5", "d6", "d4", "d1"]);
  });

  it("runs at most one job per device", () => {
    const f = queueFixture();
    const compile = f.queue.enqueue(req("kitchen", "compile")).job;
    const validate = f.queue.enqueue(req("kitchen", "validate")).job;
    const a = f.queue.assign(compile.id, "w1", "least loaded")!;
    expect(a.job).toMatchObject({ state: "running", workerId: "w1", dispatchReason: "least loaded", attempts: 1 });
    expect(f.queue.hasRunningForDevice("kitchen")).toBe(true);
    expect(f.queue.assign(validate.id, "w2", "test")).toBeUndefined();
    expect(f.queue.get(validate.id)!.state).toBe("queued");
    f.queue.complete(compile.id, a.holder, ok);
    expect(f.queue.hasRunningForDevice("kitchen")).toBe(false);
    expect(f.queue.assign(validate.id, "w2", "test")).toBeDefined();
  });

  it("assigns only queued jobs, and lists running jobs per worker", () => {
    const f = queueFixture();
    const a = f.queue.enqueue(req("a")).job;
    const b = f.queue.enqueue(req("b")).job;
    f.queue.assign(a.id, "w1", "test");
    f.queue.assign(b.id, "w2", "test");
    expect(f.queue.assign(a.id, "w2", "test")).toBeUndefined();
    expect(f.queue.runningOn("w1").map((j) => j.id)).toEqual([a.id]);
    expect(f.queue.running().map((j) => j.id)).toEqual([a.id, b.id]);
    expect(f.queue.assign(9999, "w1", "test")).toBeUndefined();
  });
});

describe("results", () => {
  it("keeps a validate job's structured errors with the job (empty for every other job)", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("garage", "validate", "interactive"));
    expect(job.validationErrors).toEqual([]);
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    const errors = [
      { file: "garage.yaml", line: 12, message: "logger: Unknown value 'BOGUS'" },
      { file: null, line: null, message: "something without a place" },
    ];
    const done = f.queue.complete(job.id, holder, {
      ...ok,
      outcome: "failed",
      phase: "validate",
      error: "invalid config",
      validationErrors: errors,
    });
    expect(Job.parse(done).validationErrors).toEqual(errors);
    expect(f.queue.get(job.id)!.validationErrors).toEqual(errors);
    const other = f.queue.enqueue(req("kitchen", "validate", "interactive")).job;
    const { holder: f2 } = f.queue.assign(other.id, "w1", "test")!;
    expect(f.queue.complete(other.id, f2, { ...ok, phase: "validate" })!.validationErrors).toEqual([]);
  });

  it("records the outcome, timings, firmware and the worker as the device's affinity", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen", "compile", "interactive", { esphomeVersion: "2026.9.0" }));
    const { holder } = f.queue.assign(job.id, "w7", "test")!;
    expect(f.queue.setPhase(job.id, holder, "compile", 150)).toBe(true);
    expect(f.queue.get(job.id)).toMatchObject({ phase: "compile", progress: 100 });
    f.clock.advance(42_000);
    const done = f.queue.complete(job.id, holder, {
      ...ok,
      phase: "compile",
      esphomeVersion: "2026.10.1",
      firmware: [
        { name: "firmware.ota.bin", sha256: SHA_A, size: 10, kind: "ota" },
        { name: "firmware.factory.bin", sha256: SHA_B, size: 20, kind: "factory" },
      ],
    });
    expect(Job.parse(done)).toMatchObject({
      state: "succeeded",
      durationMs: 42_000,
      esphomeVersion: "2026.10.1",
      progress: null,
    });
    expect(done!.firmware.map((i) => i.name)).toEqual(["firmware.ota.bin", "firmware.factory.bin"]);
    expect(f.queue.affinity("kitchen")).toEqual({ workerId: "w7", builtAt: f.clock.now(), durationMs: 42_000 });
    expect(f.queue.affinities()).toEqual(
      new Map([["kitchen", { workerId: "w7", builtAt: f.clock.now(), durationMs: 42_000 }]]),
    );
    expect(f.queue.lastSucceeded("kitchen")?.id).toBe(job.id);
    expect(f.queue.lastSucceeded("kitchen", ["upload"])).toBeUndefined();
  });

  it("does not record affinity for a failed build or a validate", () => {
    const f = queueFixture();
    runJob(f, "kitchen", "failed");
    runJob(f, "kitchen", "succeeded", 100, "validate");
    expect(f.queue.affinity("kitchen")).toBeUndefined();
  });
});

describe("cancel and retry", () => {
  it("cancels a queued job at once", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen"));
    expect(f.queue.requestCancel(job.id, "changed my mind")).toMatchObject({
      state: "cancelled",
      cancelRequested: true,
      error: "changed my mind",
    });
    expect(f.queue.queued()).toEqual([]);
  });

  it("flags a running job and ends it when the worker reports the cancel", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen"));
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    expect(f.queue.requestCancel(job.id)).toMatchObject({ state: "running", cancelRequested: true });
    expect(
      f.queue.complete(job.id, holder, { ...ok, outcome: "failed", phase: "compile", error: "killed" }),
    ).toMatchObject({ state: "cancelled" });
    expect(() => f.queue.requestCancel(job.id)).toThrow(ConflictError);
    expect(() => f.queue.requestCancel(12345)).toThrow(NotFoundError);
  });

  it("records a success that beat the cancel as reported", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen"));
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    f.queue.requestCancel(job.id);
    expect(f.queue.complete(job.id, holder, ok)).toMatchObject({ state: "succeeded", cancelRequested: true });
  });

  it("ends a cancel-requested job as cancelled when its lease lapses", () => {
    const f = queueFixture({ leaseMs: 5_000 });
    const { job } = f.queue.enqueue(req("kitchen"));
    f.queue.assign(job.id, "w1", "test");
    f.queue.requestCancel(job.id);
    f.clock.advance(5_000);
    expect(f.queue.expireLeases()[0]).toMatchObject({ state: "cancelled" });
  });

  it("cancels everything of one device", () => {
    const f = queueFixture();
    const running = f.queue.enqueue(req("kitchen", "compile")).job;
    f.queue.assign(running.id, "w1", "test");
    const waiting = f.queue.enqueue(req("kitchen", "validate")).job;
    const other = f.queue.enqueue(req("porch")).job;
    const result = f.queue.cancelAllForDevice("kitchen");
    expect(result.map((j) => [j.id, j.state])).toEqual([
      [running.id, "running"],
      [waiting.id, "cancelled"],
    ]);
    expect(result[0]!.cancelRequested).toBe(true);
    expect(f.queue.get(other.id)!.state).toBe("queued");
  });

  it("retries a finished job as a new job with the same parameters", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(
      req("kitchen", "compile_upload", "automation", { params: { address: "10.1.1.1" } }),
    );
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    expect(() => f.queue.retry(job.id)).toThrow(ConflictError);
    f.queue.complete(job.id, holder, { ...ok, outcome: "failed", phase: "upload", error: "no route" });
    const again = f.queue.retry(job.id, "card");
    expect(again.coalesced).toBe(false);
    expect(again.job).toMatchObject({
      deviceId: "kitchen",
      action: "compile_upload",
      priority: "automation",
      state: "queued",
      params: { address: "10.1.1.1" },
      source: "card",
      attempts: 0,
    });
    expect(again.job.id).toBeGreaterThan(job.id);
    expect(f.queue.retry(job.id).job.id).toBe(again.job.id); // a second retry coalesces
    expect(() => f.queue.retry(999)).toThrow(NotFoundError);
  });
});

describe("queuedInOrder", () => {
  it("yields the queue in dispatch order a page at a time, across priorities and ties, skipping what left meanwhile", () => {
    const f = queueFixture();
    const priorities: JobPriority[] = ["bulk", "interactive", "scheduled", "automation"];
    for (let i = 0; i < 150; i++) f.queue.enqueue(req(`d${i}`, "compile", priorities[i % 4]!));
    const order = f.queue.queued().map((j) => j.id);
    expect([...f.queue.queuedInOrder(16)].map((j) => j.id)).toEqual(order);
    // A consumer that assigns jobs as it goes (a dispatch pass) still sees every waiting job once.
    const seen: number[] = [];
    for (const j of f.queue.queuedInOrder(16)) {
      seen.push(j.id);
      if (seen.length % 3 === 0) f.queue.assign(j.id, "w1", "test");
    }
    expect(seen).toEqual(order);
    // It reads only as far as the caller goes; pages grow from the first one's size.
    const it = f.queue.queuedInOrder(16);
    expect(it.next().value?.id).toBe(order[0]);
    expect([...f.queue.queuedInOrder(1)].map((j) => j.id)).toEqual(f.queue.queued().map((j) => j.id));
  });
});
