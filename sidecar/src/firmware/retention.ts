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
import { retentionPlan, type Build, type Removal } from "./retention-policy.js";

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

export class FirmwareRetention {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;

  constructor(private readonly o: RetentionOptions) {}

  /** Runs the policy once; returns what was deleted. */
  run(): Removal[] {
    const s = this.o.settings();
    const plan = retentionPlan({
      files: this.o.firmware.entries(),
      builds: this.builds(),
      pinned: this.pinned(),
      referenced: this.referenced(),
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
      guard(() => void this.run());
    }, delayMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Successful compiles and CI uploads, each with the images it produced. */
  private builds(): Build[] {
    const rows = this.o.db
      .prepare(
        `SELECT j.device_id AS deviceId, COALESCE(j.finished_at, j.updated_at) AS at, f.sha256 AS sha256
           FROM jobs j JOIN job_firmware f ON f.job_id = j.id
          WHERE j.state = 'succeeded' AND j.action IN (SELECT value FROM json_each(?))
         UNION ALL
         SELECT a.device_id, CAST(strftime('%s', a.created_at) AS INTEGER) * 1000, s.sha256
           FROM trust_attestations a JOIN trust_attestation_subjects s ON s.attestation_id = a.id
          WHERE a.kind = 'external' AND a.device_id IS NOT NULL`,
      )
      .all(JSON.stringify(COMPILE_ACTIONS)) as { deviceId: string; at: number; sha256: string }[];
    const byBuild = new Map<string, Build & { images: string[] }>();
    for (const r of rows) {
      const key = `${r.deviceId}\0${r.at}`;
      const b = byBuild.get(key) ?? { deviceId: r.deviceId, at: r.at, images: [] };
      b.images.push(r.sha256);
      byBuild.set(key, b);
    }
    return [...byBuild.values()];
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

  /** Every digest a job's result in the history, an attestation or a signed-image record names. */
  private referenced(): Set<string> {
    const rows = this.o.db
      .prepare(
        "SELECT sha256 FROM job_firmware UNION SELECT sha256 FROM trust_attestation_subjects UNION SELECT signed_sha256 FROM ota_signed_images",
      )
      .all() as { sha256: string }[];
    return new Set(rows.map((r) => r.sha256));
  }
}
