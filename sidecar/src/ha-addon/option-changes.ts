// Add-on options that are also settings (the built-in worker's slots, the trust policy) can be
// changed in two places: the add-on's configuration page and the dashboard / Home Assistant. The
// latest change wins: an option is written into the stored settings only when it differs from
// what the add-on applied last time, so restarting the add-on never undoes a change made in the
// dashboard since, and editing the add-on's configuration always takes effect.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { SettingsPatch } from "@esphome-forge/shared";
import { SettingsStore } from "../config/settings-store.js";
import type { DataPaths } from "../config/paths.js";
import { openStateDatabase } from "../durability/database-open.js";
import type { AddonOptions } from "./addon-options.js";

type Applied = Partial<Pick<AddonOptions, "local_worker_slots" | "trust_policy">>;

/**
 * Writes changed options into the sidecar's settings; returns the names it changed. The database is
 * opened as the sidecar opens it: a missing or damaged one is refused here too, never made afresh.
 */
export function applyOptionChanges(options: AddonOptions, paths: DataPaths, appliedFile: string): string[] {
  const before = readApplied(appliedFile);
  const patch: SettingsPatch = {};
  const changed: string[] = [];
  if (before.local_worker_slots !== options.local_worker_slots) {
    patch.localWorkerSlots = options.local_worker_slots;
    changed.push("local_worker_slots");
  }
  if (before.trust_policy !== options.trust_policy) {
    patch.trustPolicy = options.trust_policy;
    changed.push("trust_policy");
  }
  if (changed.length === 0) return changed;
  const db = openStateDatabase(paths, { acceptDatabase: options.accept_database === true });
  try {
    new SettingsStore(db).patch(patch);
  } finally {
    db.close();
  }
  const applied: Applied = { local_worker_slots: options.local_worker_slots, trust_policy: options.trust_policy };
  writeFileSync(appliedFile, JSON.stringify(applied) + "\n");
  return changed;
}

function readApplied(file: string): Applied {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Applied;
  } catch {
    return {}; // unreadable: apply everything again
  }
}
