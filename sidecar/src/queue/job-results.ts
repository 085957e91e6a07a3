// What a finished job leaves behind besides its row: the firmware it produced, and for a
// successful build, the worker that now holds the device's warm build cache (affinity).
import { compiles, type FirmwareImage, type JobAction } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { JobRow, JobRows } from "./job-rows.js";
import { cachedStatement } from "../db/statements.js";

export function recordFirmware(db: Db, jobId: number, images: readonly FirmwareImage[], now: number): void {
  const add = cachedStatement(
    db,
    "INSERT INTO job_firmware (job_id, seq, name, sha256, size, kind) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const used = cachedStatement(db, "UPDATE firmware SET last_used_at = ? WHERE sha256 = ?");
  images.forEach((f, i) => {
    add.run(jobId, i, f.name, f.sha256, f.size, f.kind ?? "other");
    used.run(now, f.sha256);
  });
}

export function recordAffinity(db: Db, row: JobRow, now: number): void {
  if (!compiles(row.action as JobAction) || !row.worker_id) return;
  cachedStatement(
    db,
    `INSERT INTO device_affinity (device_id, worker_id, built_at, duration_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT(device_id) DO UPDATE SET worker_id = excluded.worker_id, built_at = excluded.built_at,
     duration_ms = excluded.duration_ms`,
  ).run(row.device_id, row.worker_id, now, Math.max(0, now - (row.started_at ?? now)));
}

/**
 * A build that started on a worker and was lost there (crash, hang, lease lapse) leaves a half-built
 * folder: that worker no longer counts as the device's warm cache. Affinity comes from completed builds.
 */
export function forgetInterruptedBuild(rows: JobRows, row: JobRow): void {
  if (!compiles(row.action as JobAction) || !row.worker_id || row.phase === null) return;
  rows.stmt("DELETE FROM device_affinity WHERE device_id = ? AND worker_id = ?").run(row.device_id, row.worker_id);
}
