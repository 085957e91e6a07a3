import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/database.js";
import { JobQueue } from "../queue/job-queue.js";
import { DEFAULT_SETTINGS } from "../config/settings-store.js";
import { ManualClock } from "../util/clock.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import { collectFirmware } from "./firmware-gc.js";
import { FirmwareStore } from "./firmware-store.js";

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
  const collect = () => collectFirmware({ db, store, graceMs: GRACE, inUse: () => inUse, log: () => {} }, clock.now());
  return { db, clock, store, queue, inUse, put, collect };
}

describe("firmware garbage collection", () => {
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

  it("never deletes an image referenced by a job, an attestation, an installed device, a waiting upload or a pending result", () => {
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
    a.clock.advance(GRACE * 10);
    expect(a.collect()).toEqual([orphan]);
    for (const sha of [byJob, byAttestation, installed, toFlash, pending]) expect(a.store.has(sha)).toBe(true);
  });
});
