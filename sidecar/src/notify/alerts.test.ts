// Alerts on a real queue (SQLite) with a manual clock: a worker offline past the threshold, and not
// for a revoked worker or the local worker while it is off; builds failing in a row, cleared by a
// success; the start time kept while an alert lasts.
import { describe, expect, it } from "vitest";
import type { Alert, Settings, Worker } from "@esphome-forge/shared";
import { queueFixture, req } from "../../test-support/queue-fixture.js";
import { AlertCenter } from "./alerts.js";

const MIN = 60_000;

function worker(id: string, over: Partial<Worker> = {}): Worker {
  return {
    id,
    name: `Worker ${id}`,
    online: false,
    local: false,
    enrolment: "approved",
    keyFingerprint: null,
    pendingKey: null,
    slots: 1,
    busySlots: 0,
    tags: [],
    tagsLocked: false,
    platform: null,
    system: null,
    version: "0.1.0",
    esphomeVersions: [],
    activeJobIds: [],
    connectedAt: null,
    lastSeenAt: null,
    ...over,
  };
}

function fixture(settings: Partial<Settings> = {}) {
  const f = queueFixture({ workerOfflineAlertMin: 30, failingBuildsAlert: 3, ...settings });
  const workers: Worker[] = [];
  const revoked = new Set<string>();
  const changes: { op: string; alert: Alert; raised: boolean }[] = [];
  const center = new AlertCenter({
    db: f.db,
    clock: f.clock,
    settings: () => f.settings,
    queue: f.queue,
    workers: () => workers,
    revoked: (id) => revoked.has(id),
    onChange: (op, alert, raised) => changes.push({ op, alert, raised }),
  });
  const build = (device: string, outcome: "succeeded" | "failed") => {
    const { job } = f.queue.enqueue(req(device, "compile"));
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    f.clock.advance(1000);
    f.queue.complete(job.id, holder, {
      outcome,
      phase: "compile",
      error: outcome === "failed" ? "boom" : null,
      firmware: [],
      esphomeVersion: null,
    });
    return job.id;
  };
  return { f, center, workers, revoked, changes, build };
}

describe("alerts", () => {
  it("a worker offline longer than the threshold raises one alert, cleared when it is back", () => {
    const t = fixture();
    const seen = new Date(t.f.clock.now()).toISOString();
    t.workers.push(worker("garage", { lastSeenAt: seen }));
    t.f.clock.advance(29 * MIN);
    t.center.checkWorkers();
    expect(t.center.list()).toEqual([]);
    t.f.clock.advance(2 * MIN);
    t.center.checkWorkers();
    t.center.checkWorkers(); // no repeat
    expect(t.center.list()).toEqual([
      expect.objectContaining({
        id: "worker_offline:garage",
        kind: "worker_offline",
        since: seen,
        message: `Build worker Worker garage has been offline since ${seen} (more than 30 min)`,
      }),
    ]);
    expect(t.changes.map((c) => [c.op, c.raised])).toEqual([["upsert", true]]);
    t.workers[0] = { ...t.workers[0]!, online: true };
    t.center.checkWorkers();
    expect(t.center.list()).toEqual([]);
    expect(t.changes.map((c) => c.op)).toEqual(["upsert", "remove"]);
  });

  it("a worker seen online clears its own offline alert at once, and touches no other", () => {
    const t = fixture();
    const seen = new Date(t.f.clock.now()).toISOString();
    t.workers.push(worker("garage", { lastSeenAt: seen }), worker("attic", { lastSeenAt: seen }));
    t.f.clock.advance(31 * MIN);
    t.center.checkWorkers();
    expect(t.center.list().map((a) => a.id)).toEqual(["worker_offline:attic", "worker_offline:garage"]);
    t.center.workerOnline("garage");
    expect(t.center.list().map((a) => a.id)).toEqual(["worker_offline:attic"]);
    expect(t.changes.at(-1)).toMatchObject({ op: "remove", alert: { id: "worker_offline:garage" } });
    t.center.workerOnline("garage"); // nothing open: nothing announced
    expect(t.changes.filter((c) => c.op === "remove")).toHaveLength(1);
  });

  it("not for a revoked worker, the local worker while turned off, or with the rule off", () => {
    const t = fixture({ localWorkerSlots: 0 });
    const seen = new Date(t.f.clock.now()).toISOString();
    t.workers.push(worker("gone", { lastSeenAt: seen }), worker("local", { local: true, lastSeenAt: seen }));
    t.revoked.add("gone");
    t.f.clock.advance(60 * MIN);
    t.center.checkWorkers();
    expect(t.center.list()).toEqual([]);
    t.revoked.clear();
    t.center.checkWorkers();
    expect(t.center.list().map((a) => a.id)).toEqual(["worker_offline:gone"]);
    t.f.set({ workerOfflineAlertMin: 0 });
    t.center.checkWorkers();
    expect(t.center.list()).toEqual([]);
  });

  it("builds failing in a row raise an alert that keeps its start; a success clears it", () => {
    const t = fixture();
    t.build("shed", "succeeded");
    t.build("shed", "failed");
    t.build("shed", "failed");
    t.center.checkDevice("shed");
    expect(t.center.list()).toEqual([]);
    const first = t.build("shed", "failed") - 2;
    t.center.checkDevice("shed");
    const [alert] = t.center.list();
    expect(alert).toMatchObject({ id: "builds_failing:shed", details: { failures: 3, threshold: 3 } });
    const since = alert!.since;
    expect(since).toBe(t.f.queue.get(first)!.finishedAt);
    const last = t.build("shed", "failed");
    t.center.checkDevice("shed");
    expect(t.center.list()[0]).toMatchObject({ since, details: { failures: 4, lastJobId: last } });
    expect(t.changes.map((c) => [c.op, c.raised])).toEqual([
      ["upsert", true],
      ["upsert", false],
    ]);
    t.build("shed", "succeeded");
    t.center.checkDevice("shed");
    expect(t.center.list()).toEqual([]);
    // A cancelled job is neither a failure nor a success.
    for (let i = 0; i < 3; i++) t.build("shed", "failed");
    const { job } = t.f.queue.enqueue(req("shed", "compile"));
    t.f.queue.requestCancel(job.id);
    t.center.checkDevice("shed");
    expect(t.center.list()).toHaveLength(1);
    t.center.forgetDevice("shed");
    expect(t.center.list()).toEqual([]);
  });
});
