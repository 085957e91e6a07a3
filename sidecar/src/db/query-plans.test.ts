// Every statement the hot paths run — device views and their trust verdicts, the events snapshot, a job's
// life, the lease sweep, a dispatch pass, a worker's first connect, the start-up audit — must find its
// rows through an index: none may scan a table that grows with the history. The statements are the ones
// the real modules prepare (recorded while they run), checked with EXPLAIN QUERY PLAN, so a changed
// query or a dropped index fails here instead of turning up as a freeze at 2,000 devices.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Database from "better-sqlite3";
import { SettingsStore } from "../config/settings-store.js";
import { deviceIdOf, seedScaleFleet } from "../devtools/scale-fleet.js";
import { EventBus } from "../events/event-bus.js";
import { DeviceAnnouncer } from "../fleet/device-announcer.js";
import { DeviceView } from "../fleet/device-view.js";
import { DeviceViews } from "../fleet/device-views.js";
import { EngineTrustSource } from "../fleet/engine-trust-source.js";
import { FlashLedger } from "../fleet/flash-ledger.js";
import { FirmwareStore } from "../firmware/firmware-store.js";
import { FirmwareRetention } from "../firmware/retention.js";
import { Inventory } from "../inventory/inventory.js";
import { JobQueue } from "../queue/job-queue.js";
import { generateSigningKey } from "../trust/keys/keys.js";
import { TrustEngine } from "../trust/engine.js";
import { WorkerTrustGate } from "../worker-hub/worker-trust-gate.js";
import { WorkerEnrolments } from "../worker-hub/worker-enrolment.js";
import { WorkerRegistry } from "../worker-hub/worker-registry.js";
import { systemClock } from "../util/clock.js";
import { openDatabase } from "./database.js";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Tables whose size follows the history (jobs, logs, trust records), not the fleet. */
const HISTORY_TABLES = [
  "jobs",
  "job_firmware",
  "job_log_chunks",
  "firmware",
  "trust_attestations",
  "trust_attestation_subjects",
  "trust_log_leaves",
  "trust_log_nodes",
  "trust_log_checkpoints",
  "trust_job_verdicts",
  "flash_records",
  "job_log_seq",
];
const FULL_SCAN = new RegExp(`^SCAN (${HISTORY_TABLES.join("|")})\\b`);

/** The plan of a statement, with every parameter bound to NULL (the planner does not look at values). */
function planOf(db: Database.Database, sql: string): string[] {
  const code = sql.replace(/'(?:[^']|'')*'/g, "''");
  const named = [...new Set([...code.matchAll(/[@$:]([A-Za-z_]\w*)/g)].map((m) => m[1]!))];
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (
    named.length
      ? stmt.all(Object.fromEntries(named.map((n) => [n, null])))
      : stmt.all(...Array<null>((code.match(/\?/g) ?? []).length).fill(null))
  ) as { detail: string }[];
  return rows.map((r) => r.detail);
}

/**
 * Statements among `sqls` whose plan scans a history table, with the offending plan. A scan in the wanted
 * order with a LIMIT and no filter (the newest checkpoint) reads LIMIT rows, so it passes.
 */
function scans(db: Database.Database, sqls: Iterable<string>): { sql: string; plan: string[] }[] {
  const out: { sql: string; plan: string[] }[] = [];
  for (const sql of sqls) {
    if (!/^\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b/i.test(sql)) continue;
    const plan = planOf(db, sql);
    const orderedTop = /\bLIMIT\b/i.test(sql) && !/\bWHERE\b/i.test(sql) && !plan.some((d) => /TEMP B-TREE/.test(d));
    if (!orderedTop && plan.some((d) => FULL_SCAN.test(d))) out.push({ sql: sql.replace(/\s+/g, " ").trim(), plan });
  }
  return out;
}

/** The connection, recording every statement the modules prepare on it from here on. */
function recording(db: Database.Database, record: (sql: string) => void): Database.Database {
  const prepare = db.prepare.bind(db) as (...args: unknown[]) => Database.Statement;
  (db as unknown as { prepare: (...args: unknown[]) => Database.Statement }).prepare = (...args: unknown[]) => {
    record(String(args[0]));
    return prepare(...args);
  };
  return db;
}

describe("hot-path query plans", () => {
  let dir: string;
  let db: Database.Database;
  const prepared = new Set<string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "forge-plans-"));
    await seedScaleFleet(dir, { devices: 12, jobs: 60, trustRecords: 48, workers: 2 });
    db = recording(openDatabase(join(dir, "forge.db")), (sql) => prepared.add(sql));
  });
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds every row through an index: device views, snapshot, a job's life, leases, dispatch, a first connect, the audit", async () => {
    const settings = new SettingsStore(db);
    const queue = new JobQueue(db, () => settings.get());
    const firmware = new FirmwareStore(db, join(dir, "firmware"));
    const engine = new TrustEngine({ db, dataDir: dir });
    queue.annotateJobs((jobs) => engine.jobVerdicts.annotate(jobs));
    const inventory = new Inventory({ configDir: join(dir, "config"), esphome: null, rescanIntervalSec: 3600 });
    await inventory.start();
    try {
      // Start: the audit from where the last one ended (a full one first records that point).
      await engine.auditor.full();
      engine.auditor.incremental();
      // Every device's view with its trust verdicts, and the events snapshot.
      const trust = new EngineTrustSource(engine);
      const view = new DeviceView(
        queue,
        () => null,
        trust,
        (sha) => firmware.has(sha),
      );
      const views = new DeviceViews(new EventBus());
      const announcer = new DeviceAnnouncer({
        views,
        view,
        lookup: (id) => inventory.get(id),
        all: () => inventory.list(),
        trust,
      });
      announcer.start(60_000);
      expect(views.list().filter((d) => d.trust.pending.state === "verified")).toHaveLength(12);
      queue.active();
      queue.recent(100);
      // A worker's first connect: its key is enrolled (and logged).
      const registry = new WorkerRegistry(db, queue, systemClock);
      const flashes = new FlashLedger({ db, queue, trust: () => engine, persist: async () => {} });
      const gate = new WorkerTrustGate({ engine, queue, firmware, mode: () => "enforce", log: () => {}, flashes });
      void gate;
      // Enrolment is an admin decision: the key waits, then is approved (and enrolled for signing).
      const enrolments = new WorkerEnrolments(db, engine, systemClock);
      enrolments.request("newcomer", generateSigningKey().publicPem, "enrol", null);
      enrolments.approve("newcomer", "admin");
      enrolments.view("newcomer");
      registry.list();
      // A job's life, a dispatch pass's reads and the lease sweep.
      const device = inventory.list()[0]!;
      const { job } = queue.enqueue({
        deviceId: device.id,
        action: "compile",
        priority: "interactive",
        params: {},
        source: "test",
        configHash: device.configHash,
      });
      void [...queue.queuedInOrder()];
      queue.running();
      queue.placements();
      queue.affinity(device.id);
      queue.lostOn(job.id);
      const a = queue.assign(job.id, "newcomer", "test")!;
      queue.holds(job.id, a.holder);
      queue.setPhase(job.id, a.holder, "compile", 50);
      queue.appendWorkerLog(job.id, a.holder, { seq: 1, keptFrom: 1, text: "compiling\n" });
      queue.renewLease(job.id, a.holder);
      queue.expireLeases();
      queue.expireTimeouts();
      queue.waits.expire(); // the waits for devices, on the lease sweep's cadence
      queue.waits.deviceOnline(device.id); // presence heard a device
      // A flash on record before and after (the ledger's intent and outcome).
      await flashes.intent(queue.get(job.id)!, a.fence, null, "newcomer");
      const done = queue.complete(job.id, a.holder, {
        outcome: "succeeded",
        phase: "compile",
        error: null,
        firmware: [],
        esphomeVersion: null,
      })!;
      flashes.resultArrived(done);
      announcer.refresh(device.id);
      queue.lastSucceeded(device.id, ["compile_upload", "upload"]);
      // Per device at start and after each build: the failing-builds streak, the last validation; and the
      // archive's retention pass over every device's pinned images.
      queue.stateTrail(device.id, ["compile", "compile_upload", "upload"], ["succeeded", "failed", "timed_out"], 50);
      queue.lastFinished(device.id, ["validate"]);
      queue.latestImages(
        inventory.list().map((d) => d.id),
        ["compile_upload", "upload"],
        ["compile", "compile_upload"],
      );
      queue.finishedSince(0);
      queue.activeImages();
      queue.cancelAllForDevice(device.id);
    } finally {
      await inventory.stop();
    }
    expect(prepared.size).toBeGreaterThan(40);
    expect(scans(db, prepared)).toEqual([]);
  });

  // A search of one job state (every succeeded job) is not a table scan, but it grows with the history too.
  it("runs a retention pass from the archive's digests and the devices, never from every job of a state", () => {
    // A connection of its own: statements are kept per connection, so the pass prepares all of its own here.
    const seen = new Set<string>();
    const own = recording(openDatabase(join(dir, "forge.db")), (sql) => seen.add(sql));
    try {
      const queue = new JobQueue(own, () => new SettingsStore(own).get());
      const firmware = new FirmwareStore(own, join(dir, "firmware"));
      const image = Buffer.from("an archived image"); // the pass asks about archived digests: one is enough
      firmware.put(image, createHash("sha256").update(image).digest("hex"), image.length);
      new FirmwareRetention({
        db: own,
        firmware,
        queue,
        deviceIds: () => [deviceIdOf(0), deviceIdOf(1)],
        settings: () => new SettingsStore(own).get(),
        clock: systemClock,
        log: () => {},
      }).run();
      // The lookups keyed by the pass's inputs: newest builds and latest images per device, builds per digest.
      const pass = [...seen].filter((sql) => /@(digests|devices)\b/.test(sql));
      expect(pass.length).toBe(3);
      const byState = pass
        .map((sql) => planOf(own, sql))
        .filter((plan) => plan.some((d) => /jobs_state_order \(state=\?\)/.test(d)));
      expect(byState).toEqual([]);
      expect(scans(own, pass)).toEqual([]);
    } finally {
      own.close();
    }
  });

  it("notices a lookup that lost its index", () => {
    const buildFor = [...prepared].find((s) => s.includes("kind = 'build' AND payload_sha256 = ?"));
    expect(buildFor).toBeDefined();
    expect(scans(db, [buildFor!])).toEqual([]);
    db.exec("DROP INDEX trust_attestations_payload");
    expect(scans(db, [buildFor!])).toEqual([
      { sql: buildFor!.replace(/\s+/g, " ").trim(), plan: [expect.stringMatching(/^SCAN trust_attestations/)] },
    ]);
  });
});
