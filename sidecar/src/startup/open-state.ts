// Start-up, first steps: what the sidecar keeps on disk, opened in order (see server.ts).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPILE_ACTIONS } from "@esphome-forge/shared";
import { resolveAdminToken } from "../config/admin-token.js";
import { resolveMetricsToken } from "../config/metrics-token.js";
import { dataPaths } from "../config/paths.js";
import { tightenDataFolder, tightenDatabaseFiles, warnAboutOpenSecrets } from "../config/private-files.js";
import { SettingsStore } from "../config/settings-store.js";
import type { Db } from "../db/database.js";
import { openStateDatabase } from "../durability/database-open.js";
import { DiskState, diskReserveBytes } from "../durability/disk-state.js";
import { EventBus } from "../events/event-bus.js";
import { FirmwareStore } from "../firmware/firmware-store.js";
import { Checkpointer } from "../db/checkpointer.js";
import { openAnchoredState } from "../fleet/anchored-state.js";
import { DbReadStore } from "../inventory/read-store.js";
import { SIDECAR_VERSION } from "../util/version.js";
import { Inventory, findEsphome, seedExamples } from "../inventory/inventory.js";
import { JobQueue } from "../queue/job-queue.js";
import { systemClock } from "../util/clock.js";
import { planBuildIsolation } from "../worker-hub/build-user.js";
import { Workspace } from "../workspace/workspace.js";
import { type SidecarOptions, envInt } from "./options.js";

/** The data folder and its database (checked against the state anchor first), the queue, the firmware
 * archive, ESPHome and who build code runs as. */
export async function openState(opts: SidecarOptions) {
  const log = opts.log ?? ((m: string) => console.log(m));
  const clock = opts.clock ?? systemClock;
  const paths = dataPaths(opts.dataDir, opts.configDir);
  for (const dir of [paths.dataDir, paths.configDir, paths.firmwareDir])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  tightenDataFolder(paths, log);
  warnAboutOpenSecrets(paths, log);
  const admin = resolveAdminToken(opts.adminToken ?? null, paths.adminTokenFile);
  const adminToken = admin.token;
  const metricsToken = resolveMetricsToken(opts.metricsToken, adminToken);
  const startedAt = new Date(clock.now()).toISOString();

  const reserveBytes = opts.diskReserveBytes ?? diskReserveBytes(process.env);
  const disk = new DiskState({ dir: paths.dataDir, reserveBytes, log });
  const db: Db = openStateDatabase(paths, { acceptDatabase: opts.acceptDatabase, log });
  tightenDatabaseFiles(paths.dbFile);
  const checkpointer = new Checkpointer(db, paths.dbFile, { log });
  const settings = new SettingsStore(db, opts.overrides);
  const queue = new JobQueue(db, () => settings.get(), clock);
  const firmware = new FirmwareStore(db, paths.firmwareDir, clock);
  const leftovers = firmware.removeLeftoverTemps();
  if (leftovers) log(`removed ${leftovers} unfinished temp file(s) from the firmware archive`);
  // A database older than the state anchor is refused (or, when accepted, repaired) before anything writes.
  const { anchor, flashes, useTrust } = await openAnchoredState({
    dataDir: paths.dataDir,
    db,
    queue,
    disk,
    durable: () => checkpointer.sync(),
    acceptDatabase: opts.acceptDatabase ?? false,
    log,
  }).catch(async (err: unknown) => {
    await checkpointer.stop();
    throw err;
  });
  if (opts.seed !== false) {
    const seeded = await seedExamples(paths.configDir);
    if (seeded.length) log(`seeded example devices: ${seeded.join(", ")}`);
  }
  const esphome = await findEsphome(opts.esphomeBin ?? null);
  const instanceId = loadOrCreateInstanceId(join(paths.dataDir, "instance-id"));
  // Who build code runs as: the local worker's builds and the inventory's own `esphome config`.
  const isolation = await planBuildIsolation({
    dataDir: paths.dataDir,
    instanceId,
    setting: opts.localWorkerUser ?? "auto",
    stateDir: opts.localWorkerStateDir ?? null,
    buildCommand: opts.buildCommand ?? null,
    esphomeBin: esphome?.argv[0] ?? null,
    log,
  });
  isolation.summary.forEach((line) => log(line));
  return {
    opts,
    log,
    clock,
    paths,
    admin,
    adminToken,
    metricsToken,
    startedAt,
    disk,
    db,
    checkpointer,
    settings,
    queue,
    firmware,
    anchor,
    flashes,
    useTrust,
    esphome,
    instanceId,
    isolation,
  };
}
export type OpenState = Awaited<ReturnType<typeof openState>>;

/** The config folder: its devices (the inventory) and, unless turned off, its git history (the workspace). */
export async function startConfigFolder(s: OpenState) {
  const { opts, log, paths, settings, queue, esphome, isolation, db, disk } = s;
  const reads = new DbReadStore(db, (what, fn) => void disk.guard(what, fn));
  const inventory = new Inventory({
    configDir: paths.configDir,
    esphome,
    sandbox: isolation.inventory,
    rescanIntervalSec: settings.get().rescanIntervalSec,
    log,
    reads,
    forgeVersion: SIDECAR_VERSION,
  });
  await inventory.start();

  const bus = new EventBus();
  // The config folder's history (git): device views learn its part through `announce`, set below.
  const announceRef: { fn: (id: string) => void } = { fn: () => undefined };
  const workspace =
    opts.configHistory === false
      ? null
      : new Workspace({
          configDir: paths.configDir,
          stateDir: join(paths.dataDir, "workspace"),
          devices: {
            filesOf: (id) => inventory.filesOf(id),
            ids: () => inventory.list().map((d) => d.id),
            configHash: (id) => inventory.get(id)?.configHash ?? null,
            lastCompile: (id) => queue.lastSucceeded(id, COMPILE_ACTIONS),
            lastValidation: (id) => queue.lastFinished(id, ["validate"]),
          },
          deviceChanged: (id) => announceRef.fn(id),
          statusChanged: (status) => bus.workspace(status),
          log,
          settleMs: envInt("FORGE_EXTERNAL_SETTLE_MS"),
          remoteRetryMs: envInt("FORGE_REMOTE_RETRY_MS"),
        });
  if (workspace) {
    await workspace.start();
    inventory.on("paths", (p: string[]) => workspace.pathsChanged(p));
    inventory.on("rescanned", () => workspace.rescanned());
    inventory.on("remove", (id: string) => workspace.devices.forget(id));
    queue.on("job", (job) => workspace.devices.jobChanged(job));
  }
  return { ...s, inventory, reads, bus, announceRef, workspace };
}
export type ConfigFolder = Awaited<ReturnType<typeof startConfigFolder>>;

function loadOrCreateInstanceId(file: string): string {
  if (existsSync(file)) {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  }
  const id = randomBytes(16).toString("hex");
  writeFileSync(file, id + "\n", { mode: 0o600 });
  return id;
}
