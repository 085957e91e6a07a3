// The archive's one deletion pass (FirmwareRetention over a real database and archive): what nothing refers
// to goes after the grace; whatever something names or needs stays. The policy's own rules (per-device
// keep, the size cap) are unit-tested in retention-policy.test.ts, and on a real sidecar in test/retention.test.ts.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../db/database.js";
import { JobQueue } from "../queue/job-queue.js";
import { DEFAULT_SETTINGS } from "../config/settings-store.js";
import { ManualClock } from "../util/clock.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import { FirmwareStore } from "./firmware-store.js";
import { FirmwareRetention } from "./retention.js";

const GRACE = 60_000;

function archive() {
  const dir = tempDir();
  const db = openDatabase(join(dir, "forge.db"));
  const clock = new ManualClock();
  const store = new FirmwareStore(db, join(dir, "firmware"), clock);
  const queue = new JobQueue(db, () => DEFAULT_SETTINGS, clock);
  const inUse = new Set<string>();
  const put = () => {
    const bytes = randomBytes(256);
    const sha = createHash("sha256").update(bytes).digest("hex");
    store.put(bytes, sha, bytes.length);
    return sha;
  };
  const retention = new FirmwareRetention({
    db,
    firmware: store,
    queue,
    deviceIds: () => ["d1", "d2", "d3"],
    inUse: () => inUse,
    settings: () => DEFAULT_SETTINGS,
    unreferencedGraceMs: () => GRACE,
    clock,
    log: () => {},
  });
  const collect = () => retention.run().map((r) => r.sha256);
  return { db, clock, store, queue, inUse, put, collect, retention };
}

describe("firmware retention: unreferenced images", () => {
  it("deletes an image nothing refers to once the grace has passed, and only then", () => {
    const a = archive();
    const orphan = a.put();
    a.clock.advance(GRACE - 1);
    expect(a.collect()).toEqual([]);
    a.clock.advance(2);
    expect(a.collect()).toEqual([orphan]);
    expect(a.store.has(orphan)).toBe(false);
    expect(a.db.prepare("SELECT COUNT(*) AS n FROM firmware").get()).toEqual({ n: 0 });
  });

  it("never deletes an image referenced by a job, an attestation, an installed device, a waiting upload, a pending result or a write", async () => {
    const a = archive();
    const byJob = a.put();
    const { job } = a.queue.enqueue({
      deviceId: "d1",
      action: "compile",
      priority: "interactive",
      params: {},
      source: "t",
    });
    const { holder } = a.queue.assign(job.id, "w1", "t")!;
    a.queue.complete(job.id, holder, {
      outcome: "succeeded",
      phase: null,
      error: null,
      firmware: [{ name: "f.bin", sha256: byJob, size: 256, kind: "ota" }],
      esphomeVersion: null,
    });
    const byAttestation = a.put();
    a.db
      .prepare("INSERT INTO trust_attestations (id, kind, bundle_json, created_at) VALUES (1, 'approval', '{}', 'now')")
      .run();
    a.db
      .prepare("INSERT INTO trust_attestation_subjects (attestation_id, sha256, name) VALUES (1, ?, 'f.bin')")
      .run(byAttestation);
    const installed = a.put();
    a.db
      .prepare("INSERT INTO trust_installed (device_id, firmware_sha256, installed_at) VALUES ('d2', ?, 'now')")
      .run(installed);
    const toFlash = a.put();
    a.queue.enqueue({
      deviceId: "d3",
      action: "upload",
      priority: "interactive",
      params: { firmwareSha256: toFlash },
      source: "t",
    });
    const pending = a.put();
    a.inUse.add(pending);
    const orphan = a.put();
    // An old image whose bytes are being written again while retention runs (its copy was damaged).
    const bytes = randomBytes(256);
    const racing = createHash("sha256").update(bytes).digest("hex");
    a.store.put(bytes, racing, bytes.length);
    writeFileSync(a.store.path(racing), "damaged");
    a.clock.advance(GRACE * 10);
    const writing = a.store.putAsync(bytes, racing, bytes.length);
    expect(a.store.writingNow()).toEqual([racing]);
    expect(a.collect()).toEqual([orphan]);
    await writing;
    for (const sha of [byJob, byAttestation, installed, toFlash, pending, racing]) expect(a.store.has(sha)).toBe(true);
  });
});

describe("firmware retention: each device's newest builds, ranked in SQL over the whole history", () => {
  it("keeps the newest builds' images per device (CI uploads count as builds) and removes older ones", () => {
    const a = archive();
    const settings = { ...DEFAULT_SETTINGS, firmwareKeepPerDevice: 2 };
    const retention = new FirmwareRetention({
      db: a.db,
      firmware: a.store,
      queue: a.queue,
      deviceIds: () => [],
      settings: () => settings,
      clock: a.clock,
      log: () => {},
    });
    const compiled = (deviceId: string, sha: string) => {
      const { job } = a.queue.enqueue({ deviceId, action: "compile", priority: "bulk", params: {}, source: "t" });
      const { holder } = a.queue.assign(job.id, "w1", "t")!;
      a.queue.complete(job.id, holder, {
        outcome: "succeeded",
        phase: null,
        error: null,
        firmware: [{ name: "f.bin", sha256: sha, size: 256, kind: "ota" }],
        esphomeVersion: null,
      });
      a.clock.advance(1000);
    };
    const [d1a, d1b, d1c, d2a] = [a.put(), a.put(), a.put(), a.put()];
    compiled("d1", d1a);
    compiled("d1", d1b);
    compiled("d2", d2a);
    compiled("d1", d1a); // built again: the same image is now d1's newest build
    // A CI upload for d1, newer than all of them (created_at in seconds, as the trust store writes it).
    a.db
      .prepare(
        "INSERT INTO trust_attestations (id, kind, device_id, bundle_json, created_at) VALUES (7, 'external', 'd1', '{}', ?)",
      )
      .run(new Date(a.clock.now() + 5000).toISOString());
    a.db
      .prepare("INSERT INTO trust_attestation_subjects (attestation_id, sha256, name) VALUES (7, ?, 'ci.bin')")
      .run(d1c);

    // d1's builds, newest first: the CI upload (d1c), d1a again, d1b, d1a — d1b is third.
    expect(retention.run().map((r) => [r.sha256, r.reason])).toEqual([[d1b, "older than the 2 newest builds of d1"]]);
    expect([d1a, d1c, d2a].every((s) => a.store.has(s))).toBe(true);
  });
});

describe("firmware retention: a pass in the background", () => {
  it("runs in event-loop steps, reads what is pinned last, and a stop drops a pass under way", async () => {
    const a = archive();
    const orphan = a.put();
    const pinnedMeanwhile = a.put();
    a.clock.advance(GRACE + 1);
    // Both would go; one comes into use while the pass reads the history (a worker's pending result). The
    // guard runs each step, so what happens between steps does not depend on how timers and turns interleave.
    let steps = 0;
    a.retention.soon(0, (step) => {
      step();
      if (++steps === 1) a.inUse.add(pinnedMeanwhile);
    });
    await vi.waitFor(() => expect(a.store.has(orphan)).toBe(false));
    expect(steps).toBeGreaterThan(2); // in steps, not in one go
    expect(a.store.has(pinnedMeanwhile)).toBe(true);

    const next = a.put();
    a.clock.advance(GRACE + 1);
    let stepsAfterStop = 0;
    a.retention.soon(0, (step) => {
      step();
      if (++stepsAfterStop === 1) a.retention.stop();
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stepsAfterStop).toBe(1);
    expect(a.store.has(next)).toBe(true);
  });

  it("keeps what a device came to run while the pass read the history: its devices are read again at the end", async () => {
    const a = archive();
    const orphan = a.put();
    const flashed = a.put(); // old and named by nothing but the upload below
    const { job } = a.queue.enqueue({
      deviceId: "d2",
      action: "upload",
      priority: "interactive",
      params: { firmwareSha256: flashed },
      source: "t",
    });
    const { holder } = a.queue.assign(job.id, "w1", "t")!;
    a.clock.advance(GRACE + 1);
    // The upload finishes just after the pass read d2's latest images (while it was still unfinished).
    const read = a.queue.latestImages.bind(a.queue);
    const spy = vi.spyOn(a.queue, "latestImages").mockImplementation((ids, flash, compile) => {
      const images = read(ids, flash, compile);
      if (spy.mock.calls.length === 1) {
        a.queue.complete(job.id, holder, {
          outcome: "succeeded",
          phase: null,
          error: null,
          firmware: [],
          esphomeVersion: null,
        });
      }
      return images;
    });
    a.retention.soon(0);
    await vi.waitFor(() => expect(a.store.has(orphan)).toBe(false));
    expect(spy.mock.calls.map(([ids]) => ids)).toEqual([["d1", "d2", "d3"], ["d2"]]);
    expect(a.store.has(flashed)).toBe(true);
  });

  it("reads the devices of many jobs that finished during the pass again in steps, before its last turn", async () => {
    const a = archive();
    const orphan = a.put();
    const ids = Array.from({ length: 60 }, (_, i) => `busy-${i}`);
    const held = ids.map((deviceId) => {
      const { job } = a.queue.enqueue({ deviceId, action: "compile", priority: "bulk", params: {}, source: "t" });
      return { id: job.id, holder: a.queue.assign(job.id, "w1", "t")!.holder };
    });
    a.clock.advance(GRACE + 1);
    const read = a.queue.latestImages.bind(a.queue);
    const spy = vi.spyOn(a.queue, "latestImages").mockImplementation((devices, flash, compile) => {
      if (spy.mock.calls.length === 1)
        for (const { id, holder } of held)
          a.queue.complete(id, holder, {
            outcome: "succeeded",
            phase: null,
            error: null,
            firmware: [],
            esphomeVersion: null,
          });
      return read(devices, flash, compile);
    });
    a.retention.soon(0);
    await vi.waitFor(() => expect(a.store.has(orphan)).toBe(false));
    const sizes = spy.mock.calls.map(([devices]) => devices.length);
    // The known devices, then three rounds of the 60 (50 + 10: the clock stands still), then the last turn.
    expect(sizes).toEqual([3, 50, 10, 50, 10, 50, 10, 60]);
  });
});
