// Kept reads (read-cache.ts) on real folders and a real SQLite database: what a restart may reuse and
// what it must read again. The real ESPHome case shows the point of it: a restart runs no `esphome config`.
import { rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/database.js";
import { createEsphomeCli, type EsphomeCli } from "./esphome-cli.js";
import { Inventory } from "./inventory.js";
import { DbReadStore } from "./read-store.js";
import { cleanup, configDir, esphomeBin } from "../../test-support/inventory-fixtures.js";

const dbs: Db[] = [];
afterEach(async () => {
  dbs.splice(0).forEach((db) => db.close());
  await cleanup();
});

const dev = (name: string, extra = "") => `esphome:\n  name: ${name}\nesp8266:\n  board: d1_mini\n${extra}`;
const HOUR_AGO = new Date(Date.now() - 3_600_000);

/** A config folder last edited an hour ago, and a database for the kept reads. */
async function fleet(files: Record<string, string>) {
  const dir = await configDir(files);
  for (const rel of Object.keys(files)) await utimes(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
  const db = openDatabase(path.join(dir, ".forge-test.db"));
  dbs.push(db);
  return { dir, db };
}

/** Starts an inventory on the folder, lets it keep its reads, stops it: one sidecar run. */
async function run(dir: string, db: Db, o: { esphome?: EsphomeCli | null; forgeVersion?: string } = {}) {
  const reads = new DbReadStore(db);
  const inv = new Inventory({
    configDir: dir,
    esphome: o.esphome ?? null,
    rescanIntervalSec: 3600,
    reads,
    forgeVersion: o.forgeVersion ?? "1.0.0",
  });
  await inv.start();
  const devices = inv.list();
  const diagnostics = Object.fromEntries(devices.map((d) => [d.id, inv.diagnostics(d.id)]));
  await inv.stop();
  reads.flush();
  return { devices, diagnostics };
}

/** New content of the same size under the old time: invisible to a kept read, by design (see read-cache.ts). */
async function swapUnseen(dir: string, rel: string, content: string) {
  await writeFile(path.join(dir, rel), content);
  await utimes(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
}

const keptIds = (db: Db) =>
  (db.prepare("SELECT device_id FROM inventory_reads ORDER BY device_id").all() as { device_id: string }[]).map(
    (r) => r.device_id,
  );

describe("kept reads", () => {
  it("a restart reuses every unchanged device as it was, keeping its updatedAt", async () => {
    const { dir, db } = await fleet({
      "a.yaml": dev("a", "packages:\n  base: !include common/base.yaml\n"),
      "b.yaml": dev("b"),
      "common/base.yaml": "logger:\n",
    });
    const first = await run(dir, db);
    expect(keptIds(db)).toEqual(["a", "b"]);
    // Not parsed again: a same-size edit that kept the old time is not seen.
    await swapUnseen(dir, "a.yaml", dev("q", "packages:\n  base: !include common/base.yaml\n"));
    const second = await run(dir, db);
    expect(second.devices).toEqual(first.devices);
    expect(second.devices.find((d) => d.id === "a")!.name).toBe("a");
    // …until the change is reported (the watcher, or notifyChanged): then it is read afresh.
    const inv = new Inventory({
      configDir: dir,
      esphome: null,
      rescanIntervalSec: 3600,
      reads: new DbReadStore(db),
      forgeVersion: "1.0.0",
    });
    await inv.start();
    expect(inv.get("a")!.name).toBe("a");
    await inv.notifyChanged(["a.yaml"]);
    expect(inv.get("a")!.name).toBe("q");
    await inv.stop();
  });

  it("reads a device again when its file, an include, or an include it missed changes", async () => {
    const { dir, db } = await fleet({
      "a.yaml": dev("a", "packages:\n  base: !include common/base.yaml\n"),
      "b.yaml": dev("b", "packages:\n  extra: !include common/missing.yaml\n"),
      "c.yaml": dev("c"),
      "common/base.yaml": "logger:\n",
    });
    const first = await run(dir, db);
    expect(first.devices.find((d) => d.id === "b")!.error).toMatch(/missing\.yaml/);

    // Same size, new content, a later time: an editor's save.
    await writeFile(path.join(dir, "c.yaml"), dev("z"));
    await writeFile(path.join(dir, "common/base.yaml"), "ota:\n  - platform: esphome\n");
    await writeFile(path.join(dir, "common/missing.yaml"), "logger:\n");
    const later = new Date(Date.now() - 600_000);
    for (const f of ["c.yaml", "common/base.yaml", "common/missing.yaml"])
      await utimes(path.join(dir, f), later, later);
    const second = await run(dir, db);
    const byId = Object.fromEntries(second.devices.map((d) => [d.id, d]));
    expect(byId.c!.name).toBe("z");
    expect(byId.a!.configHash).not.toBe(first.devices.find((d) => d.id === "a")!.configHash);
    expect(byId.b!.error).toBeNull();
  });

  it("keeps no read of a file modified just before it was read, and forgets devices whose file went", async () => {
    const { dir, db } = await fleet({ "a.yaml": dev("a"), "b.yaml": dev("b") });
    await writeFile(path.join(dir, "b.yaml"), dev("b", "logger:\n")); // now: could change again within a tick
    await run(dir, db);
    expect(keptIds(db)).toEqual(["a"]);

    await utimes(path.join(dir, "b.yaml"), HOUR_AGO, HOUR_AGO);
    await run(dir, db);
    expect(keptIds(db)).toEqual(["a", "b"]);

    await rm(path.join(dir, "a.yaml"));
    const after = await run(dir, db);
    expect(after.devices.map((d) => d.id)).toEqual(["b"]);
    expect(keptIds(db)).toEqual(["b"]);
  });

  it("a read by another Forge version is not reused, nor is a damaged row", async () => {
    const { dir, db } = await fleet({ "a.yaml": dev("a") });
    await run(dir, db, { forgeVersion: "1.0.0" });
    await swapUnseen(dir, "a.yaml", dev("q"));
    expect((await run(dir, db, { forgeVersion: "1.0.0" })).devices[0]!.name).toBe("a");
    expect((await run(dir, db, { forgeVersion: "1.1.0" })).devices[0]!.name).toBe("q");

    await swapUnseen(dir, "a.yaml", dev("r"));
    db.prepare("UPDATE inventory_reads SET body = '{not json'").run();
    expect((await run(dir, db, { forgeVersion: "1.1.0" })).devices[0]!.name).toBe("r");
  });

  it("with real ESPHome: a restart runs no `esphome config`; another ESPHome version resolves again", async () => {
    const { dir, db } = await fleet({ "a.yaml": dev("a", "logger:\n") });
    const real = createEsphomeCli([esphomeBin()]);
    let configRuns = 0;
    const counted = (version: () => Promise<string | null>): EsphomeCli => ({
      ...real,
      version,
      config: (...args) => {
        configRuns++;
        return real.config(...args);
      },
    });
    const esphome = counted(() => real.version());
    const first = await run(dir, db, { esphome });
    expect(first.devices[0]).toMatchObject({ resolvedBy: "esphome", platform: "esp8266", error: null });
    expect(configRuns).toBe(1);

    const second = await run(dir, db, { esphome });
    expect(second.devices).toEqual(first.devices);
    expect(configRuns).toBe(1);

    await run(dir, db, { esphome: counted(async () => "2099.1.0") });
    expect(configRuns).toBe(2);
  });
});
