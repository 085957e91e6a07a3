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
  queue: Pick<JobQueue, "latestImages" | "activeImages" | "finishedSince">;
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
  /** Each device's last flash, last compile and staged build, as read in the steps. */
  latest: Set<string>;
  /** A device with a job finished since then is read again in the last turn. */
  since: number;
}

const COMPILED = `j.state = 'succeeded' AND j.action IN (SELECT value FROM json_each(@compile))`;

/** Devices ranked, and archived digests looked up, per step: each step a few ms at 2,000 devices on a busy machine. */
const DEVICES_PER_STEP = 50;
const DIGESTS_PER_STEP = 250;

/** `each` over the items a chunk at a time, one chunk per step (each step starts with a yield). */
function* inSteps<T>(items: T[], size: number, each: (chunk: T[]) => void): Generator<void, void> {
  for (let i = 0; i < items.length; i += size) {
    yield;
    each(items.slice(i, i + size));
  }
}

export class FirmwareRetention {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;
  /** A pass going on in steps (`soon`); dropped at stop. */
  private stepping: Iterator<void, History> | null = null;

  constructor(private readonly o: RetentionOptions) {}

  /** Runs the policy once, in one go; returns what was deleted. */
  run(): Removal[] {
    const steps = this.history();
    let step = steps.next();
    while (!step.done) step = steps.next();
    return this.apply(step.value);
  }

  /** Runs the policy a little later (many builds finishing together cost one pass); an earlier call wins. */
  soon(delayMs = 10_000, guard: (fn: () => void) => void = (fn) => fn()): void {
    const at = this.o.clock.now() + delayMs;
    if (this.timer && this.dueAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stepping) this.stepInBackground(guard);
    }, delayMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stepping = null;
  }

  /**
   * A pass in event-loop turns of a few ms each (one read of the whole history stalled the loop for
   * hundreds of ms at 2,000 devices): the history and each device's latest images in steps, then — read
   * last, so an image that came into use meanwhile is not deleted — what else is pinned, the latest images
   * of devices whose jobs finished meanwhile, and the deletions.
   */
  private stepInBackground(guard: (fn: () => void) => void): void {
    const steps = (this.stepping = this.history());
    const next = () => {
      if (this.stepping !== steps) return; // stopped
      let finished = true; // a step that threw (a full disk) ends the pass
      guard(() => {
        const step = steps.next();
        if (step.done) this.apply(step.value);
        else finished = false;
      });
      if (finished) this.stepping = null;
      else setImmediate(next);
    };
    next();
  }

  /**
   * What the history says about the archive's images — their builds' ranks, what names them — read in
   * steps. Only the archive's images are asked about: 2,000 devices with a long history have far more
   * builds and references than images.
   */
  private *history(): Generator<void, History> {
    const start = this.o.clock.now();
    const settings = this.o.settings();
    const files = this.o.firmware.entries();
    const digests = files.map((f) => f.sha256);
    const archived = JSON.stringify(digests);
    const keep = settings.firmwareKeepPerDevice;
    const builtImages: BuiltImage[] = [];
    const referenced = new Set<string>();
    const devices = this.o.db.prepare("SELECT DISTINCT device_id FROM jobs").pluck().all() as string[];
    yield* inSteps(devices, DEVICES_PER_STEP, (chunk) =>
      builtImages.push(...this.newestBuilds(JSON.stringify(chunk), archived, keep)),
    );
    const latest = new Set<string>();
    const readLatest = (chunk: string[]) => this.latestImages(chunk).forEach((sha) => latest.add(sha));
    yield* inSteps(this.o.deviceIds(), DEVICES_PER_STEP, readLatest);
    yield* inSteps(digests, DIGESTS_PER_STEP, (chunk) => {
      const json = JSON.stringify(chunk);
      builtImages.push(...this.olderBuilds(json, keep));
      for (const sha of this.referenced(json)) referenced.add(sha);
    });
    // Devices whose jobs finished while the steps ran are read again, in steps, until few are left for the
    // last turn (pinned): a fleet build finishes dozens of jobs during one pass. A few rounds at most, as a
    // clock that stands still would find the same devices again; the last turn reads whatever is left.
    let since = start;
    for (let rounds = 0; rounds < 3; rounds++) {
      const round = this.o.clock.now();
      const changed = this.o.queue.finishedSince(since);
      if (changed.length <= DEVICES_PER_STEP) break;
      yield* inSteps(changed, DEVICES_PER_STEP, readLatest);
      since = round;
    }
    return { settings, files, builtImages, referenced, latest, since };
  }

  /** What is pinned now, the plan, and its deletions. */
  private apply(h: History): Removal[] {
    const s = h.settings;
    const plan = retentionPlan({
      files: h.files,
      builtImages: h.builtImages,
      pinned: this.pinned(h),
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

  /**
   * These devices' archived images of successful compiles and CI uploads, with their builds' exact ranks
   * among each device's newest `keep` builds (its newest `keep` compiles and every CI upload, ranked
   * together). Index lookups per device: never the whole history.
   */
  private newestBuilds(devices: string, archived: string, keep: number): BuiltImage[] {
    return this.o.db
      .prepare(
        `WITH builds AS (
           SELECT j.device_id AS deviceId, COALESCE(j.finished_at, j.updated_at) AS at, f.sha256 AS sha256
             FROM json_each(@devices) d JOIN jobs j ON j.id IN (
               SELECT j.id FROM jobs j WHERE j.device_id = d.value AND ${COMPILED}
                ORDER BY j.finished_at DESC LIMIT @keep)
             JOIN job_firmware f ON f.job_id = j.id
           UNION ALL
           SELECT a.device_id, CAST(strftime('%s', a.created_at) AS INTEGER) * 1000, s.sha256
             FROM trust_attestations a JOIN trust_attestation_subjects s ON s.attestation_id = a.id
            WHERE a.kind = 'external' AND a.device_id IN (SELECT value FROM json_each(@devices))),
         ranked AS (
           SELECT deviceId, at, sha256, DENSE_RANK() OVER (PARTITION BY deviceId ORDER BY at DESC) - 1 AS rank
             FROM builds)
         SELECT sha256, deviceId, at, rank FROM ranked WHERE sha256 IN (SELECT value FROM json_each(@archived))`,
      )
      .all({ compile: JSON.stringify(COMPILE_ACTIONS), devices, archived, keep }) as BuiltImage[];
  }

  /**
   * The newest compile naming each of these digests, ranked `keep` ("older", unless `newestBuilds` ranked it).
   * CROSS JOIN fixes the order, digest → its jobs: left to itself the planner walked every succeeded job.
   */
  private olderBuilds(digests: string, keep: number): BuiltImage[] {
    return this.o.db
      .prepare(
        `SELECT f.sha256 AS sha256, j.device_id AS deviceId, MAX(COALESCE(j.finished_at, j.updated_at)) AS at,
                @keep AS rank
           FROM json_each(@digests) d CROSS JOIN job_firmware f ON f.sha256 = d.value CROSS JOIN jobs j ON j.id = f.job_id
          WHERE ${COMPILED}
          GROUP BY f.sha256`,
      )
      .all({ compile: JSON.stringify(COMPILE_ACTIONS), digests, keep }) as BuiltImage[];
  }

  /**
   * What each device runs and has staged, what unfinished jobs name, what connected workers sent for
   * results not handled yet, and what is being written: never deleted. A device's latest images change
   * only when one of its jobs finishes (an unfinished one pins its own), so those read in the steps hold
   * for every device but the ones whose jobs finished since the pass began, which are read again here.
   */
  private pinned(h: History): Set<string> {
    const pinned = new Set<string>([...h.latest, ...(this.o.inUse?.() ?? [])]);
    const installed = this.o.db
      .prepare("SELECT DISTINCT firmware_sha256 FROM trust_installed")
      .pluck()
      .all() as string[];
    for (const sha of installed) pinned.add(sha);
    for (const sha of this.latestImages(this.o.queue.finishedSince(h.since))) pinned.add(sha);
    for (const sha of this.o.queue.activeImages()) pinned.add(sha);
    for (const sha of this.o.firmware.writingNow()) pinned.add(sha);
    return pinned;
  }

  /** These devices' last flash, last compile and staged build (one indexed pass, not 3 job loads each). */
  private latestImages(deviceIds: string[]): string[] {
    return deviceIds.length ? this.o.queue.latestImages(deviceIds, FLASH_ACTIONS, COMPILE_ACTIONS) : [];
  }

  /** Which of these archived digests a job's result in the history, an attestation or a signed-image record names. */
  private referenced(digests: string): string[] {
    return this.o.db
      .prepare(
        `SELECT v.value FROM json_each(?) v
          WHERE EXISTS (SELECT 1 FROM job_firmware WHERE sha256 = v.value)
             OR EXISTS (SELECT 1 FROM trust_attestation_subjects WHERE sha256 = v.value)
             OR EXISTS (SELECT 1 FROM ota_signed_images WHERE signed_sha256 = v.value)`,
      )
      .pluck()
      .all(digests) as string[];
  }
}
