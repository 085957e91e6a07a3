import { describe, expect, it, onTestFinished } from "vitest";
import { Job } from "@esphome-forge/shared";
import { openDatabase } from "../db/database.js";
import { JobQueue, type JobResult } from "./job-queue.js";
import { queueFixture, req } from "../../test-support/queue-fixture.js";

const SHA_A = "a".repeat(64);
const ok: JobResult = { outcome: "succeeded", phase: null, error: null, firmware: [], esphomeVersion: null };

describe("leases and fencing", () => {
  it("refuses every message carrying a stale fence after the job was requeued", () => {
    const f = queueFixture({ leaseMs: 10_000 });
    const { job } = f.queue.enqueue(req("kitchen"));
    const first = f.queue.assign(job.id, "w1", "test")!;
    f.clock.advance(10_001);
    expect(f.queue.expireLeases().map((j) => j.state)).toEqual(["queued"]);
    expect(f.queue.renewLease(job.id, first.holder)).toBe(false);
    expect(f.queue.appendLog(job.id, first.holder, "late output\n")).toBe(false);
    expect(f.queue.setPhase(job.id, first.holder, "compile", 50)).toBe(false);
    expect(f.queue.complete(job.id, first.holder, ok)).toBeUndefined();
    const second = f.queue.assign(job.id, "w2", "test")!;
    expect(second.fence).not.toBe(first.fence);
    expect(f.queue.complete(job.id, first.holder, ok)).toBeUndefined();
    expect(f.queue.release(job.id, first.holder, "bye")).toBeUndefined();
    expect(f.queue.readLog(job.id).text).not.toContain("late output");
    expect(f.queue.complete(job.id, second.holder, ok)).toMatchObject({
      state: "succeeded",
      workerId: "w2",
      attempts: 2,
    });
  });

  it("honours a message only from the worker holding the job, with that assignment's fence", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen"));
    const { fence, holder } = f.queue.assign(job.id, "w1", "test")!;
    // Fences are random 128-bit tokens, not a counter.
    expect(fence).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const thief = { workerId: "w2", fence };
    expect(f.queue.holds(job.id, thief)).toBe(false);
    expect(f.queue.renewLease(job.id, thief)).toBe(false);
    expect(f.queue.appendLog(job.id, thief, "forged\n")).toBe(false);
    expect(f.queue.setPhase(job.id, thief, "upload", 99)).toBe(false);
    expect(f.queue.release(job.id, thief, "not mine")).toBeUndefined();
    expect(f.queue.complete(job.id, thief, ok)).toBeUndefined();
    expect(f.queue.holds(job.id, { workerId: "w1", fence: fence.slice(1) + "A" })).toBe(false);
    expect(f.queue.get(job.id)).toMatchObject({ state: "running", workerId: "w1", phase: null });
    expect(f.queue.readLog(job.id).text).not.toContain("forged");
    expect(f.queue.complete(job.id, holder, ok)).toMatchObject({ state: "succeeded", attempts: 1 });
  });

  it("renews a heartbeat's leases in one go and names the jobs the worker does not hold", () => {
    const f = queueFixture({ leaseMs: 10_000 });
    const mine = f.queue.assign(f.queue.enqueue(req("a")).job.id, "w1", "test")!;
    const theirs = f.queue.assign(f.queue.enqueue(req("b")).job.id, "w2", "test")!;
    const refs = [
      { jobId: mine.job.id, fence: mine.fence },
      { jobId: theirs.job.id, fence: theirs.fence },
      { jobId: 999, fence: mine.fence },
    ];
    f.clock.advance(8_000);
    const r = f.queue.renewLeases("w1", refs);
    expect(r.held).toEqual([refs[0]]);
    expect(r.foreign).toEqual([refs[1], refs[2]]);
    f.clock.advance(8_000);
    expect(f.queue.expireLeases().map((j) => j.id)).toEqual([theirs.job.id]);
  });

  it("at a reconnect, requeues the jobs the worker no longer has; one that never started costs no attempt", () => {
    const f = queueFixture();
    const kept = f.queue.assign(f.queue.enqueue(req("a")).job.id, "w1", "test")!;
    const started = f.queue.assign(f.queue.enqueue(req("b")).job.id, "w1", "test")!;
    f.queue.setPhase(started.job.id, started.holder, "compile");
    const inFlight = f.queue.assign(f.queue.enqueue(req("c")).job.id, "w1", "test")!;
    const stale = { jobId: 4242, fence: kept.fence };
    const r = f.queue.reconnect("w1", [{ jobId: kept.job.id, fence: kept.fence }, stale]);
    expect(r.continueJobs).toEqual([{ jobId: kept.job.id, fence: kept.fence }]);
    expect(r.abandonJobs).toEqual([stale]);
    expect(r.lost.map((j) => [j.id, j.state, j.attempts])).toEqual([
      [started.job.id, "queued", 1],
      [inFlight.job.id, "queued", 0],
    ]);
    expect(f.queue.lostOn(started.job.id)).toEqual(["w1"]);
    expect(f.queue.readLog(started.job.id).text).toContain("worker w1 reconnected without the job (attempt 1/3)");
  });

  it("keeps a renewed lease alive and lets an unrenewed one lapse", () => {
    const f = queueFixture({ leaseMs: 10_000 });
    const { job } = f.queue.enqueue(req("kitchen"));
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    f.clock.advance(8_000);
    expect(f.queue.renewLease(job.id, holder)).toBe(true);
    f.clock.advance(8_000);
    expect(f.queue.expireLeases()).toEqual([]);
    f.clock.advance(2_001);
    expect(f.queue.expireLeases()).toHaveLength(1);
  });

  it("requeues a lapsed job until its attempts are used up, then fails it with the reason in its log", () => {
    const f = queueFixture({ leaseMs: 5_000, maxAttempts: 2 });
    const { job } = f.queue.enqueue(req("kitchen"));
    f.queue.assign(job.id, "w1", "test");
    f.clock.advance(5_000);
    const [requeued] = f.queue.expireLeases();
    expect(requeued).toMatchObject({ id: job.id, state: "queued", attempts: 1, workerId: null });
    expect(f.queue.lostOn(job.id)).toEqual(["w1"]);
    expect(f.queue.readLog(job.id).text).toContain("lease expired on worker w1 (attempt 1/2); requeued");
    f.queue.assign(job.id, "w2", "test");
    f.clock.advance(5_000);
    const [failed] = f.queue.expireLeases();
    expect(Job.parse(failed)).toMatchObject({ state: "failed", phase: "dispatch", attempts: 2 });
    expect(failed!.error).toContain("lease expired on worker w2 (attempt 2/2)");
    expect(failed!.finishedAt).not.toBeNull();
    expect(f.queue.readLog(job.id).text).toContain("lease expired on worker w2 (attempt 2/2); no attempts left");
  });

  it("closes a lapsed job as superseded when the same device and action was queued meanwhile", () => {
    const f = queueFixture({ leaseMs: 5_000 });
    const old = f.queue.enqueue(req("kitchen")).job;
    f.queue.assign(old.id, "w1", "test");
    const newer = f.queue.enqueue(req("kitchen", "compile", "interactive", { params: { address: "10.0.0.2" } })).job;
    f.clock.advance(5_000);
    expect(f.queue.expireLeases()[0]).toMatchObject({ id: old.id, state: "cancelled" });
    expect(f.queue.get(old.id)!.error).toContain(`superseded by queued job ${newer.id}`);
    expect(f.queue.queued().map((j) => j.id)).toEqual([newer.id]);
  });

  it("gives running jobs a grace period at start-up", () => {
    const f = queueFixture({ leaseMs: 5_000 });
    const { job } = f.queue.enqueue(req("kitchen"));
    f.queue.assign(job.id, "w1", "test");
    f.clock.advance(4_000);
    f.queue.extendAllLeases(30_000);
    f.clock.advance(29_000);
    expect(f.queue.expireLeases()).toEqual([]);
    f.clock.advance(1_001);
    expect(f.queue.expireLeases()).toHaveLength(1);
  });

  it("hands a released job back to the queue, for another worker first", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("kitchen"));
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    f.queue.setPhase(job.id, holder, "compile");
    expect(f.queue.release(job.id, holder, "worker w1 is shutting down")).toMatchObject({
      state: "queued",
      attempts: 1,
    });
    expect(f.queue.readLog(job.id).text).toContain("worker w1 is shutting down (attempt 1/3); requeued");
    expect(f.queue.lostOn(job.id)).toEqual(["w1"]);
  });

  it("a job handed back before it started (no free slot) never uses up its attempts", () => {
    const f = queueFixture({ maxAttempts: 2 });
    const { job } = f.queue.enqueue(req("kitchen"));
    for (let i = 0; i < 5; i++) {
      const { holder } = f.queue.assign(job.id, "w1", "test")!;
      expect(f.queue.release(job.id, holder, "no free slot (1 of 1 busy)")).toMatchObject({
        state: "queued",
        attempts: 0,
      });
    }
    expect(f.queue.readLog(job.id).text).toContain(
      "no free slot (1 of 1 busy) before starting it (no attempt used); requeued",
    );
  });

  it("a compile lost mid-build no longer counts its worker as the warm cache", () => {
    const f = queueFixture({ leaseMs: 5_000 });
    const first = f.queue.enqueue(req("kitchen")).job;
    const a = f.queue.assign(first.id, "w1", "test")!;
    f.queue.complete(first.id, a.holder, ok);
    expect(f.queue.affinity("kitchen")?.workerId).toBe("w1");
    const again = f.queue.enqueue(req("kitchen")).job;
    const b = f.queue.assign(again.id, "w1", "test")!;
    f.queue.setPhase(again.id, b.holder, "compile");
    f.clock.advance(5_000);
    f.queue.expireLeases();
    expect(f.queue.affinity("kitchen")).toBeUndefined();
  });

  it("times out a job that runs too long and keeps its fence for the stop message", () => {
    const f = queueFixture({ jobTimeoutMs: 60_000, leaseMs: 600_000 });
    const { job } = f.queue.enqueue(req("kitchen"));
    const { fence, holder } = f.queue.assign(job.id, "w1", "test")!;
    f.queue.setPhase(job.id, holder, "compile", 40);
    f.clock.advance(59_999);
    expect(f.queue.expireTimeouts()).toEqual([]);
    f.clock.advance(1);
    const [late] = f.queue.expireTimeouts();
    expect(Job.parse(late)).toMatchObject({ state: "timed_out", phase: "compile", durationMs: 60_000 });
    expect(late!.error).toContain("timed out");
    expect(f.queue.fenceOf(job.id)).toBe(fence);
    expect(f.queue.complete(job.id, holder, ok)).toBeUndefined();
    expect(f.queue.readLog(job.id).text).toContain("timed out after 60 s");
  });
});

describe("restart", () => {
  it("keeps every job, log and result across a reopen and never reuses a fence", () => {
    const f = queueFixture({ leaseMs: 5_000 });
    const done = f.queue.enqueue(req("a")).job;
    const a = f.queue.assign(done.id, "w1", "test")!;
    f.queue.appendLog(done.id, a.holder, "built ok\n");
    f.queue.complete(done.id, a.holder, { ...ok, firmware: [{ name: "f.bin", sha256: SHA_A, size: 3, kind: "ota" }] });
    const running = f.queue.enqueue(req("b")).job;
    const b = f.queue.assign(running.id, "w1", "test")!;
    const waiting = f.queue.enqueue(req("c", "validate", "bulk")).job;
    const before = [done.id, running.id, waiting.id].map((id) => f.queue.get(id));

    f.reopen();
    expect([done.id, running.id, waiting.id].map((id) => f.queue.get(id))).toEqual(before);
    expect(f.queue.readLog(done.id).text).toBe("built ok\n");
    // The running job's worker may still renew after the restart.
    expect(f.queue.renewLease(running.id, b.holder)).toBe(true);
    const c = f.queue.assign(waiting.id, "w2", "test")!;
    expect([a.fence, b.fence]).not.toContain(c.fence);
    // The coalescing constraint survives too.
    expect(f.queue.enqueue(req("c", "validate")).coalesced).toBe(false); // c's validate is running now
    expect(f.queue.enqueue(req("c", "validate")).coalesced).toBe(true);
  });

  it("sees committed changes from a connection that was never closed (a killed process)", () => {
    const f = queueFixture();
    const { job } = f.queue.enqueue(req("a"));
    const { fence } = f.queue.assign(job.id, "w1", "test")!;
    // No close, no checkpoint: the commits only live in the WAL, as after kill -9.
    const db2 = openDatabase(f.file);
    onTestFinished(() => void db2.close());
    const second = new JobQueue(db2, () => f.settings, f.clock);
    expect(second.get(job.id)).toMatchObject({ state: "running", workerId: "w1" });
    expect(second.fenceOf(job.id)).toBe(fence);
  });
});
