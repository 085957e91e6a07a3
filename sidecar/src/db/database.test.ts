import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test-support/queue-fixture.js";
import { migrate, openDatabase } from "./database.js";
import { MIGRATIONS } from "./migrations.js";

const TABLES = [
  "alerts",
  "counters",
  "device_affinity",
  "device_presence",
  "device_running_baseline",
  "firmware",
  "flash_records",
  "fleet_state",
  "inventory_reads",
  "job_firmware",
  "job_log_chunks",
  "job_log_seq",
  "jobs",
  "ota_signed_images",
  "pairing_codes",
  "schedule_runs",
  "schedules",
  "settings",
  "trust_attestation_subjects",
  "trust_attestations",
  "trust_build_sequences",
  "trust_device_policies",
  "trust_external_signers",
  "trust_installed",
  "trust_job_verdicts",
  "trust_keys",
  "trust_log_audit",
  "trust_log_checkpoints",
  "trust_log_leaves",
  "trust_log_nodes",
  "trust_revocation_lists",
  "worker_keys",
  "worker_tokens",
  "workers",
];

const insertJob = (deviceId: string, action: string, state: string) =>
  `INSERT INTO jobs (device_id, action, state, priority, priority_rank, source, max_attempts, created_at, updated_at)
   VALUES ('${deviceId}', '${action}', '${state}', 'bulk', 3, 'test', 3, 0, 0)`;

describe("openDatabase", () => {
  it("creates the folder, the schema and the pragmas", () => {
    const file = join(tempDir(), "nested", "forge.db");
    const db = openDatabase(file);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as { name: string }[]
    ).map((t) => t.name);
    expect(tables).toEqual(TABLES);
    db.close();
  });

  it("reopens an existing file without re-running migrations", () => {
    const file = join(tempDir(), "forge.db");
    const db = openDatabase(file);
    db.exec(insertJob("a", "compile", "queued"));
    db.close();
    const again = openDatabase(file);
    expect(migrate(again)).toBe(MIGRATIONS.length);
    expect(again.prepare("SELECT COUNT(*) AS n FROM jobs").get()).toEqual({ n: 1 });
    again.close();
  });

  it("refuses a database written by a newer schema", () => {
    const file = join(tempDir(), "forge.db");
    const db = openDatabase(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this sidecar/);
  });

  it("enforces one waiting job per device and action, and one running job per device", () => {
    const db = openDatabase(join(tempDir(), "forge.db"));
    db.exec(insertJob("a", "compile", "queued"));
    expect(() => db.exec(insertJob("a", "compile", "queued"))).toThrow(/UNIQUE/);
    db.exec(insertJob("a", "validate", "queued"));
    db.exec(insertJob("a", "compile", "running"));
    expect(() => db.exec(insertJob("a", "validate", "running"))).toThrow(/UNIQUE/);
    db.exec(insertJob("a", "compile", "succeeded"));
    db.exec(insertJob("a", "compile", "succeeded"));
    db.close();
  });

  it("uses the queued-jobs index for dispatch order", () => {
    const db = openDatabase(join(tempDir(), "forge.db"));
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority_rank, id")
      .all() as { detail: string }[];
    const detail = plan.map((p) => p.detail).join("\n");
    expect(detail).not.toMatch(/TEMP B-TREE/);
    expect(detail).toMatch(/USING (COVERING )?INDEX jobs_state_order/);
    db.close();
  });
});
