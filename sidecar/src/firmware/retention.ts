// Applies the archive's retention policy (retention-policy.ts), the only code that deletes images:
// gathers what the archive holds and what refers to it — successful compiles (job_firmware), CI uploads
// (external attestations), what each device runs and has staged, unfinished jobs, results still being
// handled, every job result and attestation — and deletes what the plan names. Runs after jobs finish
// (debounced), periodically (often enough for the unreferenced grace), on settings changes and at start.
import { COMPILE_ACTIONS, FLASH_ACTIONS, type Settings } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import type { FirmwareStore } from "./firmware-store.js";
import { retentionPlan, type ArchivedFile, type BuiltImage, type Removal } from "./retention-policy.js";

const MIB = 1024 * 1024;
/** Beyond the longest a job may run, so an image uploaded by a running job is never taken from it. */
const GRACE_BEYOND_TIMEOUT_MS = 10 * 60_000;

/** How long an image nothing refers to is kept: the job timeout plus 10 minutes. */
export function defaultUnreferencedGraceMs(s: Settings): number {
  return s.jobTimeoutMs + GRACE_BEYOND_TIMEOUT_MS;
}

export interface RetentionOptions {
  db: Db;
  firmware: Pick<FirmwareStore, "entries" | "remove" | "writingNow">;
  queue: Pick<JobQueue, "latestImages" | "active">;
  /** The devices whose running and staged firmware is pinned. */
  deviceIds: () => string[];
  /** Digests connected workers sent for results the sidecar has not handled yet. */
  inUse?: () => Iterable<string>;
  settings: () => Settings;
  /** How long an unreferenced image is kept (default: defaultUnreferencedGraceMs). */
  unreferencedGraceMs?: () => number;
  clock: Clock;
  log: (msg: string) => void;
}

interface History {
  settings: Settings;
  files: ArchivedFile[];
  builtImages: BuiltImage[];
  referenced: Set<string>;
}

export class FirmwareRetention {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;

  constructor(private readonly o: RetentionOptions) {}

  /** Runs the policy once; returns what was deleted. */
  run(): Removal[] {
    return this.apply(this.history());
  }

  /** What the history says about the archive's images: their builds' ranks and what names them. */
  private history(): History {
    const settings = this.o.settings();
    const files = this.o.firmware.entries();
    // Only the archive's images are asked about: 2,000 devices with a long history have far more builds
    // and references than images, and reading them all stalled the event loop for hundreds of ms.
    const archived = JSON.stringify(files.map((f) => f.sha256));
    return {
      settings,
      files,
      builtImages: this.builtImages(archived, settings.firmwareKeepPerDevice),
      referenced: this.referenced(archived),
    };
  }

  /** What is pinned now, the plan, and its deletions. */
  private apply(h: History): Removal[] {
    const s = h.settings;
    const plan = retentionPlan({
      files: h.files,
      builtImages: h.builtImages,
      pinned: this.pinned(),
      referenced: h.referenced,
      keepPerDevice: s.firmwareKeepPerDevice,
      maxBytes: s.firmwareArchiveMaxMb * MIB,
      unreferencedGraceMs: this.o.unreferencedGraceMs?.() ?? defaultUnreferencedGraceMs(s),
      now: this.o.clock.now(),
    });
    for (const r of plan.remove) this.o.firmware.remove(r.sha256);
    if (plan.remove.length) {
      const freed = plan.remove.reduce((n, r) => n + r.size, 0);
      const reasons = [...new Set(plan.remove.map((r) => r.reason))].join("; ");
      this.o.log(
        `firmware archive: removed ${plan.remove.length} image(s), ${(freed / MIB).toFixed(1)} MiB (${reasons}); ` +
          `${(plan.keptBytes / MIB).toFixed(1)} MiB kept`,
      );
    }
    return plan.remove;
  }

  /** Runs the policy a little later (many builds finishing together cost one pass); an earlier call wins. */
  soon(delayMs = 10_000, guard: (fn: () => void) => void = (fn) => fn()): void {
    const at = this.o.clock.now() + delayMs;
    if (this.timer && this.dueAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      // In two event-loop turns (each a few tens of ms at 2,000 devices, not one long stall): the history,
      // then what is pinned — read last, so an image that became in use meanwhile is not deleted.
      let h: History | null = null;
      guard(() => void (h = this.history()));
      setImmediate(() => guard(() => void (h && this.apply(h))));
    }, delayMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The archived images of successful compiles and CI uploads with their builds' ranks: exact for each
   * device's newest `keep` builds (its newest `keep` compiles and every CI upload, ranked together), and
   * `keep` for an image only older builds name. Index lookups per device and per archived image: never
   * the whole history, which at 2,000 devices stalled the event loop for hundreds of ms.
   */
  private builtImages(archived: string, keep: number): BuiltImage[] {
    const params = { compile: JSON.stringify(COMPILE_ACTIONS), archived, keep };
    const compiled = `j.state = 'succeeded' AND j.action IN (SELECT value FROM json_each(@compile))`;
    const newest = this.o.db
      .prepare(
        `WITH devs AS (SELECT DISTINCT device_id FROM jobs),
         builds AS (
           SELECT j.device_id AS deviceId, COALESCE(j.finished_at, j.updated_at) AS at, f.sha256 AS sha256
             FROM devs d JOIN jobs j ON j.id IN (
               SELECT j.id FROM jobs j WHERE j.device_id = d.device_id AND ${compiled}
                ORDER BY j.finished_at DESC LIMIT @keep)
             JOIN job_firmware f ON f.job_id = j.id
           UNION ALL
           SELECT a.device_id, CAST(strftime('%s', a.created_at) AS INTEGER) * 1000, s.sha256
             FROM trust_attestations a JOIN trust_attestation_subjects s ON s.attestation_id = a.id
            WHERE a.kind = 'external' AND a.device_id IS NOT NULL),
         ranked AS (
           SELECT deviceId, at, sha256, DENSE_RANK() OVER (PARTITION BY deviceId ORDER BY at DESC) - 1 AS rank
             FROM builds)
         SELECT sha256, deviceId, at, rank FROM ranked WHERE sha256 IN (SELECT value FROM json_each(@archived))`,
      )
      .all(params) as BuiltImage[];
    const older = this.o.db
      .prepare(
        `SELECT f.sha256 AS sha256, j.device_id AS deviceId, MAX(COALESCE(j.finished_at, j.updated_at)) AS at,
                @keep AS rank
           FROM job_firmware f JOIN jobs j ON j.id = f.job_id
          WHERE f.sha256 IN (SELECT value FROM json_each(@archived)) AND ${compiled}
          GROUP BY f.sha256`,
      )
      .all(params) as BuiltImage[];
    return [...newest, ...older];
  }

  /**
   * What each device runs and has staged, what unfinished jobs name, what connected workers sent for
   * results not handled yet, and what is being written: never deleted.
   */
  private pinned(): Set<string> {
    const pinned = new Set<string>(this.o.inUse?.() ?? []);
    const installed = this.o.db.prepare("SELECT DISTINCT firmware_sha256 AS sha256 FROM trust_installed").all() as {
      sha256: string;
    }[];
    for (const r of installed) pinned.add(r.sha256);
    // Each device's last flash, last compile and staged build, in one indexed pass (not 2,000 × 3 job loads).
    for (const sha of this.o.queue.latestImages(this.o.deviceIds(), FLASH_ACTIONS, COMPILE_ACTIONS)) pinned.add(sha);
    for (const job of this.o.queue.active()) {
      if (job.params.firmwareSha256) pinned.add(job.params.firmwareSha256);
      if (job.flashSha256) pinned.add(job.flashSha256); // a flash step waiting for its flasher
      for (const image of job.flashSha256 ? job.firmware : []) pinned.add(image.sha256);
    }
    for (const sha of this.o.firmware.writingNow()) pinned.add(sha);
    return pinned;
  }

  /** The archived digests a job's result in the history, an attestation or a signed-image record names. */
  private referenced(archived: string): Set<string> {
    const rows = this.o.db
      .prepare(
        `SELECT value FROM json_each(?) WHERE value IN (SELECT sha256 FROM job_firmware)
            OR value IN (SELECT sha256 FROM trust_attestation_subjects)
            OR value IN (SELECT signed_sha256 FROM ota_signed_images)`,
      )
      .pluck()
      .all(archived) as string[];
    return new Set(rows);
  }
}
