// The state anchor and the flash ledger, wired at start: the anchor's sections (highest job id, flash
// records, trust log, rollback floors) are registered, the database is checked against the anchor before anything else
// writes (refused, or repaired under --accept-database), and the ledger records into the anchor.
import type { Db } from "../db/database.js";
import { jobsSection, rollbackFloorsSection, trustLogSection } from "../durability/anchor-sections.js";
import type { DiskState } from "../durability/disk-state.js";
import { StateAnchor } from "../durability/state-anchor.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { TrustEngine } from "../trust/index.js";
import { flashesSection } from "./flash-anchor-section.js";
import { FlashLedger } from "./flash-ledger.js";

export interface AnchoredState {
  anchor: StateAnchor;
  flashes: FlashLedger;
  /** Content trust's log receives the flash records once the engine exists (it is created later). */
  useTrust(engine: TrustEngine): void;
}

export async function openAnchoredState(o: {
  dataDir: string;
  db: Db;
  queue: JobQueue;
  disk: DiskState;
  /** Makes every commit so far durable before the anchor records it (the checkpointer). */
  durable?: () => Promise<void>;
  acceptDatabase: boolean;
  log: (msg: string) => void;
}): Promise<AnchoredState> {
  const anchor = new StateAnchor({
    dataDir: o.dataDir,
    db: o.db,
    log: o.log,
    onWriteError: (err) => o.disk.report(err, "writing the state anchor"),
    ...(o.durable ? { durable: o.durable } : {}),
  });
  let engine: TrustEngine | undefined;
  const flashes = new FlashLedger({
    db: o.db,
    queue: o.queue,
    trust: () => engine,
    persist: () => anchor.persist(),
    disk: o.disk,
  });
  anchor.register(jobsSection(o.db));
  anchor.register(flashesSection(flashes, o.queue));
  anchor.register(trustLogSection(o.db));
  anchor.register(rollbackFloorsSection(o.db));
  for (const note of await anchor.verify(o.acceptDatabase)) o.log(`state anchor: ${note}`);
  return { anchor, flashes, useTrust: (e) => (engine = e) };
}
