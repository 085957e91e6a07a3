import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { queueFixture, req } from "../../test-support/queue-fixture.js";
import { FlashLedger } from "../fleet/flash-ledger.js";
import { flashesSection } from "../fleet/flash-anchor-section.js";
import { jobsSection, trustLogSection } from "./anchor-sections.js";
import { anchorPath, readAnchor } from "./anchor-file.js";
import { DamagedDatabaseError } from "./damaged-database.js";
import { StateAnchor } from "./state-anchor.js";

function setup() {
  const f = queueFixture();
  const anchor = new StateAnchor({ dataDir: f.dir, db: f.db, log: () => {} });
  const ledger = new FlashLedger({ db: f.db, queue: f.queue, persist: () => anchor.persist() });
  anchor.register(jobsSection(f.db));
  anchor.register(flashesSection(ledger, f.queue));
  anchor.register(trustLogSection(f.db));
  return { f, anchor, ledger, file: anchorPath(f.dir) };
}

describe("StateAnchor", () => {
  it("writes its sections to a 0600 file in a 0700 folder and keeps sections it does not know", async () => {
    const { f, anchor, file } = setup();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ format: 1, writes: 3, writtenAt: "", sections: { checkpoint: { n: 7 } } }));
    f.queue.enqueue(req("kitchen"));
    expect(await anchor.verify(false)).toEqual([]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    const a = readAnchor(file)!;
    expect(a.writes).toBe(4);
    expect(a.sections).toMatchObject({ checkpoint: { n: 7 }, jobs: { maxId: 1 }, flashes: { counter: 0 } });
  });

  it("records a flash intent before it returns, and refuses a database that lost it", async () => {
    const { f, anchor, ledger, file } = setup();
    await anchor.verify(false);
    const { job } = f.queue.enqueue(req("porch", "compile_upload"));
    const a = f.queue.assign(job.id, "w1", "test")!;
    await ledger.intent(f.queue.get(job.id)!, a.fence, "ab".repeat(32), "w1");
    const anchored = readAnchor(file)!.sections.flashes as { counter: number; recent: { jobId: number }[] };
    expect(anchored.counter).toBe(1);
    expect(anchored.recent[0]!.jobId).toBe(job.id);

    // The database loses the record (as with a deleted -wal): refused, then repaired when accepted.
    f.db.exec("DELETE FROM flash_records; UPDATE sqlite_sequence SET seq = 0 WHERE name = 'flash_records'");
    const reopened = new StateAnchor({ dataDir: f.dir, db: f.db, log: () => {} });
    const ledger2 = new FlashLedger({ db: f.db, queue: f.queue, persist: () => reopened.persist() });
    reopened.register(jobsSection(f.db));
    reopened.register(flashesSection(ledger2, f.queue));
    await expect(reopened.verify(false)).rejects.toThrow(DamagedDatabaseError);
    await expect(reopened.verify(false)).rejects.toThrow(new RegExp(`job ${job.id} attempt 1 on porch: flash started`));
    const notes = await reopened.verify(true);
    expect(notes.join("\n")).toMatch(new RegExp(`job ${job.id} closed instead of flashing again`));
    expect(f.queue.get(job.id)!.state).toBe("failed");
    expect(ledger2.counter()).toBe(1);
  });

  it("names a damaged anchor file and rewrites it only when accepted", async () => {
    const { anchor, file } = setup();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "{ not json");
    await expect(anchor.verify(false)).rejects.toThrow(/state anchor is damaged/);
    await anchor.verify(true);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ format: 1 });
  });

  it("waits until the database is durable before writing, and never writes an older snapshot over a newer one", async () => {
    const f = queueFixture();
    let release: () => void = () => {};
    const durable = () => new Promise<void>((resolve) => (release = resolve));
    const anchor = new StateAnchor({ dataDir: f.dir, db: f.db, log: () => {}, durable });
    anchor.register(jobsSection(f.db));
    f.queue.enqueue(req("kitchen"));
    const quiet = anchor.writeQuietly(); // snapshot: job 1, then waits for the checkpoint
    await Promise.resolve();
    expect(readAnchor(anchorPath(f.dir))).toBeNull();
    f.queue.enqueue(req("porch"));
    await anchor.persist(); // a flash's write: durable already, written at once (job 2)
    expect(readAnchor(anchorPath(f.dir))!.sections.jobs).toEqual({ maxId: 2 });
    release();
    await quiet;
    expect(readAnchor(anchorPath(f.dir))!.sections.jobs).toEqual({ maxId: 2 });
  });
});
