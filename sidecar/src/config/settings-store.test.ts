import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Settings } from "@esphome-forge/shared";
import { openDatabase } from "../db/database.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import { ValidationError } from "../util/errors.js";
import { DEFAULT_SETTINGS, SettingsStore } from "./settings-store.js";

const dbFile = () => join(tempDir(), "forge.db");

describe("settings store", () => {
  it("starts from valid defaults", () => {
    const db = openDatabase(dbFile());
    expect(Settings.parse(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS);
    expect(new SettingsStore(db).get()).toEqual({
      leaseMs: 30_000,
      maxAttempts: 3,
      jobTimeoutMs: 1_800_000,
      logCapBytes: 1_048_576,
      historyRetentionDays: 90,
      localWorkerSlots: 1,
      defaultEsphomeVersion: null,
      rescanIntervalSec: 30,
      presenceOfflineAfterSec: 180,
      deviceWaitHours: 168,
      trustPolicy: "enforce",
      buildMinFreeDiskMb: 256,
      workerMinFreeDiskMb: 1024,
      firmwareKeepPerDevice: 5,
      firmwareArchiveMaxMb: 2048,
      historyMaxJobs: 50_000,
      scheduleGraceSec: 3600,
      workerOfflineAlertMin: 30,
      failingBuildsAlert: 3,
      releaseCheckHours: 12,
      routingRules: [],
      autoApproveWorkers: false,
    });
    db.close();
  });

  it("persists patches across a reopen and emits the new settings", () => {
    const file = dbFile();
    const db = openDatabase(file);
    const store = new SettingsStore(db);
    const changes: Settings[] = [];
    store.on("change", (s) => changes.push(s));
    const after = store.patch({ maxAttempts: 5, defaultEsphomeVersion: "2026.10.1" });
    expect(after).toMatchObject({ maxAttempts: 5, defaultEsphomeVersion: "2026.10.1", leaseMs: 30_000 });
    expect(changes).toEqual([after]);
    store.patch({ defaultEsphomeVersion: null });
    db.close();
    const again = openDatabase(file);
    expect(new SettingsStore(again).get()).toMatchObject({ maxAttempts: 5, defaultEsphomeVersion: null });
    again.close();
  });

  it("rejects invalid values and unknown keys without storing anything", () => {
    const db = openDatabase(dbFile());
    const store = new SettingsStore(db);
    expect(() => store.patch({ leaseMs: 5 })).toThrow(ValidationError);
    expect(() => store.patch({ leaseMs: 5 })).toThrow(/leaseMs/);
    expect(() => store.patch({ maxAttempts: 2, logCapBytes: "big" } as never)).toThrow(/logCapBytes/);
    expect(() => store.patch({ bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => store.patch({ defaultEsphomeVersion: "latest" })).toThrow(ValidationError);
    expect(() => store.patch({ leaseMs: 5 })).toThrow(expect.objectContaining({ code: "validation" }));
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    expect(new SettingsStore(db).get()).toEqual(DEFAULT_SETTINGS);
    db.close();
  });

  it("lets overrides win without persisting them", () => {
    const file = dbFile();
    const db = openDatabase(file);
    new SettingsStore(db).patch({ leaseMs: 60_000, localWorkerSlots: 4 });
    const store = new SettingsStore(db, { localWorkerSlots: 0, leaseMs: undefined });
    expect(store.get()).toMatchObject({ localWorkerSlots: 0, leaseMs: 60_000 });
    expect(store.patch({ localWorkerSlots: 8 }).localWorkerSlots).toBe(0);
    expect(store.stored()).toMatchObject({ localWorkerSlots: 8 });
    expect(new SettingsStore(db).get().localWorkerSlots).toBe(8);
    expect(() => new SettingsStore(db, { leaseMs: -1 })).toThrow(ValidationError);
    db.close();
  });

  it("falls back to the default for a stored value that no longer validates", () => {
    const db = openDatabase(dbFile());
    db.prepare(
      "INSERT INTO settings (key, value) VALUES ('leaseMs', '12'), ('retired', '1'), ('maxAttempts', 'not json')",
    ).run();
    expect(new SettingsStore(db).get()).toEqual(DEFAULT_SETTINGS);
    db.close();
  });
});
