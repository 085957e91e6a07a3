import { describe, expect, it } from "vitest";
import { DeviceStats, Job } from "@esphome-forge/shared";
import { median } from "./job-history.js";
import { queueFixture, req, runJob } from "../../test-support/queue-fixture.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("history", () => {
  it("filters by device, state, action and time", () => {
    const f = queueFixture();
    const t0 = f.clock.now();
    const a1 = runJob(f, "alpha", "succeeded");
    const b1 = runJob(f, "beta", "failed");
    f.clock.advance(HOUR);
    const t1 = f.clock.now();
    const a2 = runJob(f, "alpha", "failed", 1000, "validate");
    const waiting = f.queue.enqueue(req("beta")).job;

    const ids = (q: Parameters<typeof f.queue.list>[0]) => f.queue.list(q).jobs.map((j) => j.id);
    expect(ids({ device: ["alpha"] })).toEqual([a2.id, a1.id]);
    expect(ids({ state: ["failed"] })).toEqual([a2.id, b1.id]);
    expect(ids({ state: ["failed"], action: ["compile"] })).toEqual([b1.id]);
    expect(ids({ device: ["alpha", "beta"], state: ["queued", "succeeded"] })).toEqual([waiting.id, a1.id]);
    expect(ids({ since: new Date(t1).toISOString() })).toEqual([waiting.id, a2.id]);
    expect(ids({ until: new Date(t1).toISOString() })).toEqual([b1.id, a1.id]);
    expect(ids({ since: new Date(t0).toISOString(), until: new Date(t1).toISOString(), device: ["beta"] })).toEqual([
      b1.id,
    ]);
    for (const j of f.queue.list({}).jobs) Job.parse(j);
  });

  it("pages newest first with a keyset cursor that ends with null", () => {
    const f = queueFixture();
    const all = Array.from({ length: 7 }, (_, i) => runJob(f, `d${i}`, "succeeded").id).reverse();
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 10; page++) {
      const r = f.queue.list({ limit: 3, ...(before ? { before } : {}) });
      seen.push(...r.jobs.map((j) => j.id));
      if (r.nextBefore === null) break;
      expect(r.nextBefore).toBe(r.jobs.at(-1)!.id);
      before = r.nextBefore;
    }
    expect(seen).toEqual(all);
    // Exactly one full page left: no dangling cursor to an empty page.
    expect(f.queue.list({ limit: 7 }).nextBefore).toBeNull();
  });

  it("lists recent finished jobs and active ones", () => {
    const f = queueFixture();
    const first = runJob(f, "a", "succeeded");
    const second = runJob(f, "b", "failed");
    const queued = f.queue.enqueue(req("c")).job;
    const running = f.queue.enqueue(req("d")).job;
    f.queue.assign(running.id, "w1", "test");
    expect(f.queue.recent(10).map((j) => j.id)).toEqual([second.id, first.id]);
    expect(f.queue.recent(1).map((j) => j.id)).toEqual([second.id]);
    expect(f.queue.active().map((j) => j.id)).toEqual([queued.id, running.id]);
  });

  it("reports per-device stats", () => {
    const f = queueFixture();
    runJob(f, "alpha", "succeeded", 10_000);
    runJob(f, "alpha", "succeeded", 30_000);
    runJob(f, "alpha", "succeeded", 20_000);
    runJob(f, "alpha", "succeeded", 50_000);
    const lastOk = f.clock.now();
    f.clock.advance(5);
    runJob(f, "alpha", "failed", 99_000); // failures do not count towards the median
    const lastBad = f.clock.now();
    runJob(f, "beta", "cancelled", 1);
    const stats = f.queue.stats().map((s) => DeviceStats.parse(s));
    expect(stats).toEqual([
      {
        deviceId: "alpha",
        total: 5,
        succeeded: 4,
        failed: 1,
        cancelled: 0,
        timedOut: 0,
        medianDurationMs: 25_000,
        lastSucceededAt: new Date(lastOk).toISOString(),
        lastFailedAt: new Date(lastBad).toISOString(),
      },
      {
        deviceId: "beta",
        total: 1,
        succeeded: 0,
        failed: 0,
        cancelled: 1,
        timedOut: 0,
        medianDurationMs: null,
        lastSucceededAt: null,
        lastFailedAt: null,
      },
    ]);
    expect(median([1, 2, 9])).toBe(2);
  });

  it("prunes finished jobs past retention with their logs and firmware, and nothing else", () => {
    const f = queueFixture({ historyRetentionDays: 2 });
    const old = f.queue.enqueue(req("a")).job;
    const { holder } = f.queue.assign(old.id, "w1", "test")!;
    f.queue.appendLog(old.id, holder, "old output\n");
    f.queue.complete(old.id, holder, {
      outcome: "succeeded",
      phase: null,
      error: null,
      esphomeVersion: null,
      firmware: [{ name: "f.bin", sha256: "c".repeat(64), size: 1, kind: "ota" }],
    });
    const stillWaiting = f.queue.enqueue(req("b")).job;
    f.clock.advance(DAY);
    const younger = runJob(f, "c", "failed");
    f.clock.advance(DAY + 1);

    const removed: number[][] = [];
    f.queue.on("pruned", (ids) => removed.push(ids));
    expect(f.queue.pruneHistory()).toBe(1);
    expect(removed).toEqual([[old.id]]);
    expect(f.queue.get(old.id)).toBeUndefined();
    expect(f.queue.get(stillWaiting.id)?.state).toBe("queued");
    expect(f.queue.get(younger.id)).toBeDefined();
    const leftovers = f.db
      .prepare(
        "SELECT (SELECT COUNT(*) FROM job_log_chunks WHERE job_id = ?) + (SELECT COUNT(*) FROM job_firmware WHERE job_id = ?) AS n",
      )
      .get(old.id, old.id) as { n: number };
    expect(leftovers.n).toBe(0);

    f.set({ historyRetentionDays: 0 });
    f.clock.advance(365 * DAY);
    expect(f.queue.pruneHistory()).toBe(0);
    expect(f.queue.get(younger.id)).toBeDefined();
  });

  it("never reuses the id of a pruned job", () => {
    const f = queueFixture({ historyRetentionDays: 1 });
    const only = runJob(f, "a", "succeeded");
    f.clock.advance(2 * DAY);
    expect(f.queue.pruneHistory()).toBe(1);
    expect(f.queue.enqueue(req("a")).job.id).toBeGreaterThan(only.id);
  });
});
