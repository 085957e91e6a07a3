// Runtime settings: defaults, then what the user stored through the API, then command-line
// overrides (which win for this run but are never written back).
import { EventEmitter } from "node:events";
import { Settings, SettingsPatch } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import { ValidationError } from "../util/errors.js";

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  leaseMs: 30_000,
  maxAttempts: 3,
  jobTimeoutMs: 1_800_000,
  logCapBytes: 1024 * 1024,
  historyRetentionDays: 90,
  localWorkerSlots: 1,
  defaultEsphomeVersion: null,
  rescanIntervalSec: 30,
  presenceOfflineAfterSec: 180,
  deviceWaitHours: 168,
  trustPolicy: "enforce",
  autoApproveWorkers: false,
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
});

const STRICT_PATCH = SettingsPatch.strict();
const FIELDS = Settings.shape;

export class SettingsStore extends EventEmitter<{ change: [settings: Settings] }> {
  private readonly overrides: Partial<Settings>;
  private current: Settings;

  constructor(
    private readonly db: Db,
    overrides: Partial<Settings> = {},
  ) {
    super();
    const o = STRICT_PATCH.safeParse(overrides);
    if (!o.success) throw new ValidationError(`invalid settings override: ${describe(o.error.issues)}`);
    // Drop explicit `undefined`s so they cannot mask a stored value.
    this.overrides = Object.fromEntries(Object.entries(o.data).filter(([, v]) => v !== undefined));
    this.current = this.compute();
  }

  /** The settings in effect. Cheap: callers may ask on every operation. */
  get(): Settings {
    return this.current;
  }

  /** The values stored by the user, without defaults or overrides. */
  stored(): Partial<Settings> {
    const rows = this.db.prepare("SELECT key, value FROM settings").all() as { key: string; value: string }[];
    const out: Record<string, unknown> = {};
    for (const { key, value } of rows) {
      const field = (FIELDS as Record<string, (typeof FIELDS)[keyof typeof FIELDS]>)[key];
      if (!field) continue; // a setting an older/newer version knew about
      const parsed = field.safeParse(safeJson(value));
      // A stored value that no longer validates (e.g. a range tightened) falls back to the default.
      if (parsed.success) out[key] = parsed.data;
    }
    return out as Partial<Settings>;
  }

  /** Validates and persists `p`; returns the settings now in effect and emits "change". */
  patch(p: SettingsPatch): Settings {
    const r = STRICT_PATCH.safeParse(p);
    if (!r.success) throw new ValidationError(`invalid settings: ${describe(r.error.issues)}`);
    const upsert = this.db.prepare(
      "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(r.data)) {
        if (value !== undefined) upsert.run(key, JSON.stringify(value));
      }
    })();
    this.current = this.compute();
    this.emit("change", this.current);
    return this.current;
  }

  private compute(): Settings {
    return Object.freeze({ ...DEFAULT_SETTINGS, ...this.stored(), ...this.overrides });
  }
}

function describe(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message)).join("; ");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
