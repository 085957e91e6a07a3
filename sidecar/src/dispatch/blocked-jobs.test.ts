// BlockedJobs on a real queue (SQLite): what each kind of event costs, and that a job flips between
// queued and blocked exactly when the workers or the rules make it so.
import { describe, expect, it } from "vitest";
import type { RoutingRule } from "@esphome-forge/shared";
import { queueFixture, req } from "../../test-support/queue-fixture.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { BlockedJobs } from "./blocked-jobs.js";

interface FakeWorker {
  id: string;
  tags: string[];
  slots: number;
}

function setup(n: number) {
  const f = queueFixture();
  const workers: FakeWorker[] = [{ id: "garage-pc", tags: ["esp8266"], slots: 1 }];
  let rules: RoutingRule[] = [{ name: "esp32 builds on x86", match: { platforms: ["esp32"] }, workerTags: ["x86"] }];
  const registry = {
    online: () => workers.map((w) => ({ id: w.id, hello: { name: w.id }, w })),
    tagsOf: (s: { w: FakeWorker }) => s.w.tags,
    slotsOf: (s: { w: FakeWorker }) => s.w.slots,
    rolesOf: () => ["builder"],
    wasLocal: () => false,
  } as unknown as WorkerRegistry;
  const blocked = new BlockedJobs({
    queue: f.queue,
    registry,
    device: (id) => ({ id, name: null, platform: id.startsWith("esp32-") ? "esp32" : "esp8266", tags: [] }),
    rules: () => rules,
    kick: () => undefined,
  });
  f.queue.on("job", (j) => blocked.jobChanged(j));
  for (let i = 0; i < n; i++) f.queue.enqueue(req(`${i % 2 ? "esp32" : "esp8266"}-${i}`));
  // Count the full walks: each one reads the waiting set a page at a time.
  let pages = 0;
  const page = f.queue.routable.page.bind(f.queue.routable);
  f.queue.routable.page = (after, limit) => (pages++, page(after, limit));
  const states = () => {
    const rows = f.db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as {
      state: string;
      n: number;
    }[];
    const n = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
    return { queued: n("queued"), blocked: n("blocked") };
  };
  return {
    f,
    blocked,
    workers,
    setRules: (r: RoutingRule[]) => (rules = r),
    pages: () => pages,
    states,
  };
}

describe("blocked jobs", () => {
  it("judges new jobs without reading the waiting set, and only worker or rule changes walk it", () => {
    const t = setup(600);
    // First passes: the workers' picture is new, so one walk (in 8 ms slices: a pass may leave the rest to the next).
    for (let i = 0; i < 20; i++) t.blocked.sync();
    const first = t.pages();
    expect(first).toBeGreaterThan(0);
    expect(t.states()).toEqual({ queued: 300, blocked: 300 });
    const reason = t.f.queue.get(2)!.blockedReason;
    expect(reason).toBe(
      "needs a worker with tag x86 (rule 'esp32 builds on x86'); online workers: garage-pc [esp8266]",
    );

    // Nothing changed (what a heartbeat or a finished job looks like): no walk, nothing written.
    for (let i = 0; i < 50; i++) t.blocked.sync();
    expect(t.pages()).toBe(first);

    // A new job is judged from its own event, not by reading the queue.
    t.f.queue.enqueue(req("esp32-new"));
    t.blocked.sync();
    expect(t.pages()).toBe(first);
    expect(t.f.queue.routable.ofDevice("esp32-new")[0]!.state).toBe("blocked");

    // A worker bringing the tag: one walk releases every blocked job.
    t.workers.push({ id: "nuc", tags: ["x86"], slots: 2 });
    for (let i = 0; i < 20; i++) t.blocked.sync();
    expect(t.pages()).toBeGreaterThan(first);
    expect(t.states()).toEqual({ queued: 601, blocked: 0 });

    // The worker's slots turned off: blocked again, the reason says why the worker does not count.
    t.workers[1]!.slots = 0;
    for (let i = 0; i < 20; i++) t.blocked.sync();
    expect(t.f.queue.get(2)!.blockedReason).toMatch(/nuc \[x86\] \(0 slots\)$/);

    // The rule removed: everything waits queued.
    t.setRules([]);
    for (let i = 0; i < 20; i++) t.blocked.sync();
    expect(t.states()).toEqual({ queued: 601, blocked: 0 });
  });
});
