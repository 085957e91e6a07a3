// A large fleet with a long history, written through the real modules (config folder, inventory,
// queue, firmware archive, trust engine) so a sidecar started on the folder meets the same rows a
// long-lived install has: N devices, a build history of jobs, and signed approvals in the trust log
// (each approval is two trust records: the worker's provenance and the sidecar's approval).
// Shared by `npm run bench` (section `scale`) and the process tests.
import { createHash, randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { FirmwareImage, JobAction, TrustVerdict } from "@esphome-forge/shared";
import { dataPaths } from "../config/paths.js";
import { SettingsStore } from "../config/settings-store.js";
import { openDatabase } from "../db/database.js";
import { MIGRATIONS } from "../db/migrations.js";
import { Inventory } from "../inventory/inventory.js";
import { DbReadStore } from "../inventory/read-store.js";
import { SIDECAR_VERSION } from "../util/version.js";
import { JobQueue } from "../queue/job-queue.js";
import type { ApprovalResult } from "../trust/attest/approval.js";
import { buildProvenanceStatement } from "../trust/attest/statements.js";
import { TrustEngine } from "../trust/engine.js";
import { generateSigningKey, type SigningKey } from "../trust/keys/keys.js";
import { signStatement } from "../trust/keys/sign.js";
import { ManualClock } from "../util/clock.js";
import { writeFleet } from "./fleet.js";

export interface ScaleFleetSpec {
  devices: number;
  /** Jobs in the history, spread evenly over the devices. */
  jobs: number;
  /** Rows in trust_attestations: two per approved build. */
  trustRecords: number;
  /** Worker identities the history was built on (each with an enrolled signing key). */
  workers?: number;
  /** How far back the history starts (it must stay inside the retention, 90 days by default). */
  historyDays?: number;
}

export interface ScaleFleet {
  deviceIds: string[];
  jobs: number;
  approvals: number;
  flashes: number;
  seedMs: number;
}

const ESPHOME_VERSION = "2026.10.0";

/** How long each seeded job runs. */
const SEED_JOB_MS = 30_000;

export const deviceIdOf = (i: number): string => `dev-${String(i).padStart(5, "0")}`;

/** Writes `<dataDir>/config` and seeds `<dataDir>/forge.db`; the data folder must be new. */
export async function seedScaleFleet(
  dataDir: string,
  spec: ScaleFleetSpec,
  log: (msg: string) => void = () => {},
): Promise<ScaleFleet> {
  const t0 = performance.now();
  const paths = dataPaths(dataDir);
  const deviceIds = Array.from({ length: spec.devices }, (_, i) => deviceIdOf(i));
  writeFleet(
    paths.configDir,
    deviceIds.map((id) => ({ id })),
  );
  // A long-lived install's config folder was last edited a while ago (and so its reads are kept).
  const lastEdit = new Date(Date.now() - 3_600_000);
  for (const name of readdirSync(paths.configDir)) utimesSync(join(paths.configDir, name), lastEdit, lastEdit);

  const historyMs = (spec.historyDays ?? 30) * 86_400_000;
  const clock = new ManualClock(Date.now() - historyMs);
  const db = openDatabase(paths.dbFile);
  try {
    // The config digests the sidecar will compute, from the real inventory (plain YAML read), which
    // keeps its reads as the sidecar's does.
    const reads = new DbReadStore(db);
    const inventory = new Inventory({
      configDir: paths.configDir,
      esphome: null,
      rescanIntervalSec: 3600,
      log,
      reads,
      forgeVersion: SIDECAR_VERSION,
    });
    await inventory.start();
    const hashes = new Map(inventory.list().map((d) => [d.id, d.configHash]));
    await inventory.stop();
    reads.flush();

    const settings = new SettingsStore(db);
    const queue = new JobQueue(db, () => settings.get(), clock);
    const engine = new TrustEngine({ db, dataDir: paths.dataDir, now: () => new Date(clock.now()) });
    const workers = Array.from({ length: spec.workers ?? 10 }, (_, i) => {
      const id = `seed-worker-${i}`;
      const key = generateSigningKey();
      engine.enrolWorkerKey(id, key.publicPem);
      return { id, key };
    });

    const perDevice = Math.max(1, Math.round(spec.jobs / spec.devices));
    const approvedPerDevice = Math.min(perDevice, Math.round(spec.trustRecords / 2 / spec.devices));
    const plan = historyPlan(perDevice, approvedPerDevice);
    // Each job also runs SEED_JOB_MS: the history ends now, not days in the future (a job finished
    // "later than now" is one that every time-based read counts as new).
    const step = Math.max(0, Math.floor(historyMs / (perDevice * spec.devices + 1)) - SEED_JOB_MS);
    const out: ScaleFleet = { deviceIds, jobs: 0, approvals: 0, flashes: 0, seedMs: 0 };
    // Round by round (every device's first job, then every device's second…), as a fleet's history
    // grows. Nothing else uses this database meanwhile, so one commit per round (the modules' own
    // transactions become savepoints) instead of several per job.
    for (let round = 0; round < plan.length; round++) {
      db.exec("BEGIN");
      for (let d = 0; d < deviceIds.length; d++) {
        const deviceId = deviceIds[d]!;
        const worker = workers[(d + round) % workers.length]!;
        const planned = plan[round]!;
        clock.advance(step);
        await runJob({ queue, engine, deviceId, worker, configHash: hashes.get(deviceId)!, clock }, planned);
        out.jobs++;
        if (planned.approved) out.approvals++;
        if (planned.approved && planned.action === "compile_upload") out.flashes++;
      }
      db.exec("COMMIT");
      log(`seeded round ${round + 1}/${plan.length} (${out.jobs} jobs, ${out.approvals} approvals)`);
    }
    // A long-lived sidecar has audited its log at every start: record where that audit ended.
    const audit = await engine.auditor.full();
    if (!audit.ok) throw new Error(`seed: the trust log audit failed: ${audit.problems.join("; ")}`);
    out.seedMs = performance.now() - t0;
    return out;
  } finally {
    db.close();
  }
}

interface PlannedJob {
  action: JobAction;
  outcome: "succeeded" | "failed";
  approved: boolean;
}

/** One device's history: approved compiles (every third one also flashed), with validations and failures between. */
function historyPlan(jobs: number, approved: number): PlannedJob[] {
  const plan: PlannedJob[] = [];
  let left = approved;
  for (let i = 0; i < jobs; i++) {
    const remaining = jobs - i;
    if (left > 0 && (left >= remaining || i % 2 === 0 || jobs - approved === 0)) {
      plan.push({
        action: (approved - left) % 3 === 1 ? "compile_upload" : "compile",
        outcome: "succeeded",
        approved: true,
      });
      left--;
    } else {
      plan.push(
        i % 4 === 1
          ? { action: "compile", outcome: "failed", approved: false }
          : { action: "validate", outcome: "succeeded", approved: false },
      );
    }
  }
  return plan;
}

interface JobDeps {
  queue: JobQueue;
  engine: TrustEngine;
  deviceId: string;
  worker: { id: string; key: SigningKey };
  configHash: string;
  clock: ManualClock;
}

async function runJob(o: JobDeps, p: PlannedJob): Promise<void> {
  const { job } = o.queue.enqueue({
    deviceId: o.deviceId,
    action: p.action,
    priority: "bulk",
    params: {},
    source: "seed",
    configHash: o.configHash,
    esphomeVersion: ESPHOME_VERSION,
  });
  const started = o.queue.assign(job.id, o.worker.id, "seed");
  if (!started) throw new Error(`seed: job ${job.id} could not be assigned`);
  const startedAt = new Date(o.clock.now()).toISOString();
  o.clock.advance(SEED_JOB_MS);
  let images: FirmwareImage[] = [];
  let approval: ApprovalResult | null = null;
  if (p.approved) {
    // Digests only: the archive holds no bytes for history (a device's stored firmware shows once it is rebuilt).
    images = [
      { name: "firmware.ota.bin", sha256: randomBytes(32).toString("hex"), size: 1024, kind: "ota" },
      { name: "firmware.factory.bin", sha256: randomBytes(32).toString("hex"), size: 4096, kind: "factory" },
    ];
    const bundle = await signStatement(
      buildProvenanceStatement({
        deviceId: o.deviceId,
        deviceName: o.deviceId,
        mac: null,
        configSha256: o.configHash,
        esphomeVersion: ESPHOME_VERSION,
        platform: "esp32",
        board: "esp32dev",
        workerId: o.worker.id,
        jobId: job.id,
        startedAt,
        finishedAt: new Date(o.clock.now()).toISOString(),
        forgeVersion: "seed",
        firmware: images,
      }),
      o.worker.key,
    );
    approval = await o.engine.approveBuild({
      deviceId: o.deviceId,
      jobId: job.id,
      firmware: images,
      buildBundle: bundle,
      expectedConfigSha256: o.configHash,
      expectedWorkerId: o.worker.id,
    });
    if (!approval.ok) throw new Error(`seed: approval refused: ${approval.reason}`);
  }
  const done = o.queue.complete(job.id, started.holder, {
    outcome: p.outcome,
    phase: p.action === "validate" ? "validate" : p.action === "compile_upload" ? "upload" : "compile",
    error: p.outcome === "failed" ? "seeded failure" : null,
    firmware: images,
    esphomeVersion: ESPHOME_VERSION,
  });
  if (done?.state === "succeeded" && p.action === "compile_upload" && approval?.ok) {
    // The flash of what was just approved (the gate's verdict, without evaluating it again).
    const sha = images[0]!.sha256;
    const verdict: TrustVerdict = {
      state: "verified",
      reason: "approved by the seed",
      signer: "sidecar",
      buildSequence: approval.buildSequence,
      checkedAt: new Date(o.clock.now()).toISOString(),
      firmwareSha256: sha,
    };
    o.engine.recordOta(o.deviceId, sha, verdict, job.id);
  }
}

/** Bump when what the seed writes changes (the cache key also covers the spec and the schema). */
const SEED_FORMAT = 5; // 4: the inventory's kept reads, config files last edited an hour ago; 5: history ends now

/**
 * `seedScaleFleet` through a cache (the benchmark's fleet takes a minute to sign): seeded once per spec,
 * seed format and schema under `cacheRoot`, then copied into `dataDir`. Older cached fleets are removed.
 */
export async function cachedScaleFleet(
  dataDir: string,
  spec: ScaleFleetSpec,
  cacheRoot: string,
  log: (msg: string) => void = () => {},
): Promise<ScaleFleet & { cached: boolean }> {
  const key = createHash("sha256")
    .update(JSON.stringify({ spec, SEED_FORMAT, schema: MIGRATIONS }))
    .digest("hex")
    .slice(0, 16);
  const entry = join(cacheRoot, `scale-${key}`);
  const cached = existsSync(join(entry, "seeded.json"));
  if (!cached) {
    mkdirSync(cacheRoot, { recursive: true });
    // Finished fleets of other keys go (another seed still running keeps its temp folder).
    for (const old of readdirSync(cacheRoot)) {
      if (old.startsWith("scale-") && !old.includes(".tmp-")) rmSync(join(cacheRoot, old), { recursive: true });
    }
    const tmp = `${entry}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const seeded = await seedScaleFleet(tmp, spec, log);
    writeFileSync(join(tmp, "seeded.json"), JSON.stringify(seeded));
    renameSync(tmp, entry);
  }
  // Times kept: the inventory's kept reads judge the config files by them, as after a restart.
  cpSync(entry, dataDir, { recursive: true, preserveTimestamps: true });
  rmSync(join(dataDir, "seeded.json"));
  return { ...(JSON.parse(readFileSync(join(entry, "seeded.json"), "utf8")) as ScaleFleet), cached };
}
