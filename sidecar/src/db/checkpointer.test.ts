// The checkpoint thread against a real database file: it copies the WAL into forge.db while the main
// connection only writes, makes commits durable on request, and hands checkpointing back at stop.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../devtools/processes.js";
import { waitUntil } from "../../test-support/helpers.js";
import { BACKSTOP_PAGES, Checkpointer } from "./checkpointer.js";
import { openDatabase, type Db } from "./database.js";

const open: { db: Db; cp: Checkpointer }[] = [];
afterEach(async () => {
  for (const { db, cp } of open.splice(0)) {
    await cp.stop();
    db.close();
  }
});

function setup(everyMs = 60_000) {
  const file = join(tempDir("forge-checkpoint-"), "forge.db");
  const db = openDatabase(file);
  db.exec("CREATE TABLE blobs (b BLOB)");
  db.pragma("wal_checkpoint(TRUNCATE)");
  const logged: string[] = [];
  const cp = new Checkpointer(db, file, { everyMs, log: (m) => logged.push(m) });
  open.push({ db, cp });
  // ~2 MB in the WAL: under the backstop, so the main connection does not checkpoint it itself.
  const write = () =>
    db.transaction(() => {
      const add = db.prepare("INSERT INTO blobs VALUES (randomblob(4000))");
      for (let i = 0; i < 500; i++) add.run();
    })();
  return { file, db, cp, write, logged, size: () => statSync(file).size };
}

describe("Checkpointer", () => {
  it("moves the main connection's own checkpoint to a backstop and checkpoints on its thread when asked", async () => {
    const { db, cp, write, size } = setup();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(BACKSTOP_PAGES);
    const before = size();
    write();
    expect(size()).toBe(before); // the rows are only in the WAL
    await cp.sync();
    expect(size()).toBeGreaterThan(before + 1_900_000); // copied into forge.db
  });

  it("checkpoints by itself every interval", async () => {
    const { write, size } = setup(50);
    const before = size();
    write();
    await waitUntil(() => size() > before + 1_900_000, "a periodic checkpoint");
  });

  it("hands checkpointing back to the connection at stop; a sync after that runs here", async () => {
    const { file, db, cp, write, size } = setup();
    await cp.stop();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    const before = size();
    write();
    await cp.sync();
    expect(size()).toBeGreaterThan(before + 1_900_000);
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false); // the last connection closed cleanly
    open.splice(0);
  });
});
