// A real queue on a real SQLite file in a temp folder, with a manual clock. `reopen()` closes the
// database and opens the same file again, as a sidecar restart would.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import type { JobAction, JobPriority, Settings } from "@esphome-forge/shared";
import { DEFAULT_SETTINGS } from "../src/config/settings-store.js";
import { openDatabase, type Db } from "../src/db/database.js";
import { ManualClock } from "../src/util/clock.js";
import { JobQueue, type EnqueueRequest } from "../src/queue/job-queue.js";

export interface QueueFixture {
  dir: string;
  file: string;
  db: Db;
  queue: JobQueue;
  clock: ManualClock;
  settings: Settings;
  set(patch: Partial<Settings>): void;
  reopen(): void;
}

export function tempDir(prefix = "forge-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function queueFixture(settings: Partial<Settings> = {}): QueueFixture {
  const dir = tempDir("forge-queue-");
  const file = join(dir, "forge.db");
  const clock = new ManualClock();
  const f = {
    dir,
    file,
    clock,
    settings: { ...DEFAULT_SETTINGS, ...settings },
    set(patch: Partial<Settings>) {
      f.settings = { ...f.settings, ...patch };
    },
    reopen() {
      f.db.close();
      f.db = openDatabase(file);
      f.queue = new JobQueue(f.db, () => f.settings, clock);
    },
  } as QueueFixture;
  f.db = openDatabase(file);
  f.queue = new JobQueue(f.db, () => f.settings, clock);
  onTestFinished(() => {
    if (f.db.open) f.db.close();
  });
  return f;
}

export function req(
  deviceId: string,
  action: JobAction = "compile",
  priority: JobPriority = "interactive",
  extra: Partial<EnqueueRequest> = {},
): EnqueueRequest {
  return { deviceId, action, priority, params: {}, source: "test", ...extra };
}

/** Enqueues, assigns and finishes one job, `durationMs` apart on the fixture's clock. */
export function runJob(
  f: QueueFixture,
  deviceId: string,
  outcome: "succeeded" | "failed" | "cancelled",
  durationMs = 1000,
  action: JobAction = "compile",
  workerId = "w1",
) {
  const { job } = f.queue.enqueue(req(deviceId, action));
  const a = f.queue.assign(job.id, workerId, "test");
  if (!a) throw new Error(`could not assign job ${job.id}`);
  f.clock.advance(durationMs);
  const done = f.queue.complete(job.id, a.holder, {
    outcome,
    phase: outcome === "succeeded" ? null : "compile",
    error: outcome === "succeeded" ? null : "boom",
    firmware: [],
    esphomeVersion: null,
  });
  if (!done) throw new Error(`job ${job.id} was not completed`);
  return done;
}
