// A flash step's way through the queue (README "A builder never flashes", "Flash when the device is
// back"): the approved build handed over to a flasher, and `waiting_for_device` — a flash step whose
// device is offline (or asleep, or not seen yet with `whenOnline`) waits, holding its approved image,
// until presence reports the device online (back to `queued`), a cancel, or `waiting_until` (failed,
// the build kept). Whether a device is away is presence's answer, asked through a `WaitJudge`; these
// transitions run inside the queue's transaction.
import type { JobParams } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { Holder } from "./job-leases.js";
import { recordAffinity, recordFirmware } from "./job-results.js";
import type { JobRow, JobRows } from "./job-rows.js";
import { finish, type Tx } from "./job-transitions.js";

/**
 * Why a device's flash must wait now, or null to flash it now. `cause`: `ready` — the flash step is
 * about to be dispatched; `unreachable` — its OTA just failed with `error`. `until` is when the wait
 * would end (named in the reason).
 */
export type WaitJudge = (
  deviceId: string,
  params: JobParams,
  cause: { kind: "ready" } | { kind: "unreachable"; error: string | null },
  until: number,
) => string | null;

/** Where the judge and the wait's length come from (the queue's own fields). */
export interface WaitPolicy {
  judge: WaitJudge | null;
  waitMs: number;
}

const params = (row: JobRow) => JSON.parse(row.params) as JobParams;

/**
 * compile_upload: the holder's build was received and approved. The job keeps its images, names the
 * approved one to flash, and goes back to the queue for a flasher (never the builder) — or waits for
 * its device. An older flash of the device still waiting is superseded by this newer build.
 */
export function buildToFlash(
  t: Tx,
  db: Db,
  rows: JobRows,
  row: JobRow,
  holder: Holder,
  r: { firmware: Parameters<typeof recordFirmware>[2]; esphomeVersion: string | null },
  sha: string,
  policy: WaitPolicy,
): void {
  recordFirmware(db, row.id, r.firmware, t.now);
  recordAffinity(db, row, t.now);
  supersedeWaiting(t, rows, row);
  t.note(row.id, `\n[forge] build approved (sha256 ${sha}); the flash waits for a flasher (never the builder)\n`);
  rows.update(row.id, {
    state: "queued",
    step: "flash",
    flash_sha256: sha,
    built_by: holder.workerId,
    worker_id: null,
    dispatch_reason: null,
    attempts: 0,
    lease_fence: null,
    lease_expires_at: null,
    phase: null,
    progress: null,
    esphome_version: r.esphomeVersion ?? row.esphome_version,
    updated_at: t.now,
  });
  t.touch(row.id);
  judgeReady(t, rows, rows.row(row.id)!, policy);
}

/**
 * A flash step that could be dispatched now (queued, or a coalesced upload that waits): waits when the
 * judge says its device is away, else is (or goes back to) `queued`. Returns whether it waits.
 */
export function judgeReady(t: Tx, rows: JobRows, row: JobRow, policy: WaitPolicy): boolean {
  if (row.step !== "flash" || (row.state !== "queued" && row.state !== "waiting_for_device")) return false;
  const until = t.now + policy.waitMs;
  const reason = policy.judge?.(row.device_id, params(row), { kind: "ready" }, until) ?? null;
  if (reason === null) {
    if (row.state === "waiting_for_device") toQueued(t, rows, row, "flashing it now");
    return false;
  }
  // A job already waiting keeps its deadline (a repeat request does not extend it); its reason is refreshed.
  const keep = row.state === "waiting_for_device" && row.waiting_until != null;
  if (keep && row.blocked_reason === reason) return true;
  if (!keep) t.note(row.id, `[forge] waiting for the device: ${reason}\n`);
  rows.update(row.id, {
    state: "waiting_for_device",
    blocked_reason: reason,
    waiting_until: keep ? row.waiting_until : until,
    ...(keep ? {} : { updated_at: t.now }),
  });
  t.touch(row.id);
  return true;
}

/**
 * The holder's flash failed in its upload phase. When the judge says the device is away (offline, or a
 * sleeper or `whenOnline` job that could not be reached), the job waits for it instead of failing: no
 * attempt is counted, the approved image is kept. The fence stays, so the flash ledger closes this
 * assignment's flash as failed. Returns false (nothing changed) otherwise.
 */
export function failedFlashWaits(t: Tx, rows: JobRows, row: JobRow, error: string | null, policy: WaitPolicy): boolean {
  if (row.step !== "flash" || row.state !== "running" || row.cancel_requested) return false;
  if (pendingFlashOf(rows, row)) return false; // another flash of it already waits (a retry): that one goes
  const until = t.now + policy.waitMs;
  const reason = policy.judge?.(row.device_id, params(row), { kind: "unreachable", error }, until) ?? null;
  if (reason === null) return false;
  t.note(
    row.id,
    `\n\x1b[33m[forge] the flash could not reach the device (${error ?? "upload failed"}); not counted as an attempt: ${reason}\x1b[0m\n`,
  );
  rows.update(row.id, {
    state: "waiting_for_device",
    blocked_reason: reason,
    waiting_until: until,
    worker_id: null,
    dispatch_reason: null,
    attempts: Math.max(0, row.attempts - 1),
    lease_expires_at: null,
    phase: null,
    progress: null,
    error: null,
    updated_at: t.now,
  });
  t.touch(row.id);
  return true;
}

/** The device is online: every flash of it that waits goes back to the queue. Returns their ids. */
export function deviceBack(t: Tx, rows: JobRows, deviceId: string, why: string): number[] {
  const waiting = rows
    .stmt("SELECT * FROM jobs WHERE device_id = ? AND state = 'waiting_for_device' ORDER BY id")
    .all(deviceId) as JobRow[];
  for (const row of waiting) toQueued(t, rows, row, why);
  return waiting.map((r) => r.id);
}

/** Presence changed but the device is still away (e.g. now seen going to sleep): the reasons say so, deadlines kept. */
export function rejudgeWaits(t: Tx, rows: JobRows, deviceId: string, policy: WaitPolicy): void {
  const waiting = rows
    .stmt("SELECT * FROM jobs WHERE device_id = ? AND state = 'waiting_for_device' ORDER BY id")
    .all(deviceId) as JobRow[];
  for (const row of waiting) judgeReady(t, rows, row, policy);
}

/** Waits past their end fail with the reason; the approved build stays (retry or upload flashes it). */
export function expireWaits(t: Tx, rows: JobRows): number[] {
  const late = rows
    .stmt("SELECT * FROM jobs WHERE state = 'waiting_for_device' AND waiting_until <= ? ORDER BY id")
    .all(t.now) as JobRow[];
  for (const row of late) {
    const end = new Date(row.waiting_until!).toISOString();
    const error = `the device did not come online before the wait ended (${end}); the approved build is kept: retry or an upload flashes it without recompiling`;
    t.note(row.id, `\n\x1b[31m[forge] ${error}\x1b[0m\n`);
    finish(t, rows, row, "failed", { phase: "upload", error, blocked_reason: null });
  }
  return late.map((r) => r.id);
}

/** Every device with a flash waiting for it (the start-up recheck). */
export function devicesWaitedFor(rows: JobRows): string[] {
  return (
    rows.stmt("SELECT DISTINCT device_id FROM jobs WHERE state = 'waiting_for_device'").all() as {
      device_id: string;
    }[]
  ).map((r) => r.device_id);
}

/** Another flash step of the device and action that waits (queued, blocked, or for the device), if any. */
function pendingFlashOf(rows: JobRows, row: JobRow): boolean {
  return (
    rows
      .stmt(
        `SELECT 1 FROM jobs WHERE device_id = ? AND action = ? AND step IS 'flash' AND id <> ?
         AND state IN ('queued', 'blocked', 'waiting_for_device')`,
      )
      .get(row.device_id, row.action, row.id) !== undefined
  );
}

/** A newer approved build of the device replaces an older flash still waiting for it (same action). */
function supersedeWaiting(t: Tx, rows: JobRows, row: JobRow): void {
  const older = rows
    .stmt(
      `SELECT * FROM jobs WHERE device_id = ? AND action = ? AND step IS 'flash' AND id <> ?
       AND state IN ('queued', 'blocked', 'waiting_for_device')`,
    )
    .all(row.device_id, row.action, row.id) as JobRow[];
  for (const o of older) {
    const why = `superseded by job ${row.id}, a newer approved build`;
    t.note(o.id, `\n[forge] ${why}; this flash is not needed any more\n`);
    finish(t, rows, o, "cancelled", { cancel_requested: 1, error: why, blocked_reason: null });
  }
}

/**
 * Back to the queue in its old place. The time it waited is not part of its duration (started_at moves
 * on by it; a wait starts at its last update), so build-time estimates never learn days of waiting.
 */
function toQueued(t: Tx, rows: JobRows, row: JobRow, why: string): void {
  t.note(row.id, `[forge] ${why}\n`);
  const waited = row.state === "waiting_for_device" ? Math.max(0, t.now - row.updated_at) : 0;
  rows.update(row.id, {
    state: "queued",
    blocked_reason: null,
    waiting_until: null,
    lease_fence: null,
    started_at: row.started_at == null ? null : row.started_at + waited,
    updated_at: t.now,
  });
  t.touch(row.id);
}
