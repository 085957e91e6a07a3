// Test fixtures: a trust engine on a real SQLite file in a temp folder, a controllable clock, worker
// keys, and worker-side signing of build provenance exactly as a worker process would do it.
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { SerializedBundle } from "@sigstore/bundle";
import { TrustEngine, type TrustEngineOptions } from "../src/trust/engine.js";
import { sha256Hex } from "../src/trust/encoding.js";
import { loadOrCreateKey, type SigningKey } from "../src/trust/keys/keys.js";
import { signStatement } from "../src/trust/keys/sign.js";
import { buildProvenanceStatement, type BuildFacts, type FirmwareSubject } from "../src/trust/attest/statements.js";

export interface Clock {
  now: () => Date;
  advance: (ms: number) => void;
}

export function fakeClock(start = "2026-05-01T10:00:00.000Z"): Clock {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

export interface Harness {
  dir: string;
  db: Database.Database;
  clock: Clock;
  engine: TrustEngine;
  close: () => void;
}

export function openHarness(opts: Partial<TrustEngineOptions> = {}, clockStart?: string): Harness {
  const dir = mkdtempSync(join(tmpdir(), "forge-trust-"));
  const db = new Database(join(dir, "forge.db"));
  db.pragma("journal_mode = WAL");
  const clock = fakeClock(clockStart);
  const engine = new TrustEngine({ db, dataDir: dir, now: clock.now, ...opts });
  return {
    dir,
    db,
    clock,
    engine,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function workerKey(h: Harness, workerId: string, enrol = true): SigningKey {
  const { key } = loadOrCreateKey(join(h.dir, "workers", workerId, "worker.key"));
  if (enrol) h.engine.enrolWorkerKey(workerId, key.publicPem);
  return key;
}

export interface BuiltFirmware {
  ota: Buffer;
  factory: Buffer;
  subjects: FirmwareSubject[];
}

export function fakeFirmware(size = 64 * 1024): BuiltFirmware {
  const ota = randomBytes(size);
  const factory = Buffer.concat([randomBytes(4096), ota]);
  return {
    ota,
    factory,
    subjects: [
      { name: "firmware.ota.bin", sha256: sha256Hex(ota), size: ota.length, kind: "ota" },
      { name: "firmware.factory.bin", sha256: sha256Hex(factory), size: factory.length, kind: "factory" },
    ],
  };
}

export const CONFIG_A = sha256Hex("kitchen.yaml + includes");

export function buildFacts(over: Partial<BuildFacts> & { firmware: FirmwareSubject[] }): BuildFacts {
  return {
    deviceId: "kitchen",
    deviceName: "kitchen",
    mac: "AA:BB:CC:DD:EE:FF",
    configSha256: CONFIG_A,
    esphomeVersion: "2026.4.2",
    platform: "esp32",
    board: "esp32dev",
    workerId: "worker-1",
    jobId: 7,
    startedAt: "2026-05-01T09:58:00.000Z",
    finishedAt: "2026-05-01T09:59:30.000Z",
    forgeVersion: "0.1.0",
    ...over,
  };
}

/** What a worker does after a build: sign its provenance with its own key, no log in reach. */
export function workerSign(key: SigningKey, facts: BuildFacts): Promise<SerializedBundle> {
  return signStatement(buildProvenanceStatement(facts), key);
}

/** Full happy path up to an approved build; returns what the gate will later see. */
export async function approvedBuild(h: Harness, over: Partial<BuildFacts> = {}, key?: SigningKey) {
  const fw = fakeFirmware();
  const facts = buildFacts({ firmware: fw.subjects, ...over });
  const wkey = key ?? workerKey(h, facts.workerId);
  const buildBundle = await workerSign(wkey, facts);
  const result = await h.engine.approveBuild({
    deviceId: facts.deviceId,
    jobId: facts.jobId ?? null,
    firmware: fw.subjects,
    buildBundle,
    expectedConfigSha256: facts.configSha256,
    expectedWorkerId: facts.workerId,
  });
  if (!result.ok) throw new Error(`approval refused: ${result.state}: ${result.reason}`);
  return { fw, facts, buildBundle, result, workerKey: wkey };
}
