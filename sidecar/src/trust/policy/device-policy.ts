// A device's trust policy. The YAML comment (`# esphome-forge: trust_policy: …`) is written by whoever can
// write the config folder — a git push, an editor, an add-on — so it may only RAISE the policy. Going below
// the fleet's policy takes the admin API: that sets the device's floor here, and the change is logged.
// `effectivePolicy` is the one rule; every caller (the gate, the device view) asks it.
import type Database from "better-sqlite3";
import type { TrustPolicy } from "@esphome-forge/shared";

const STRICTNESS: Record<TrustPolicy, number> = { off: 0, warn: 1, enforce: 2 };

export function stricter(a: TrustPolicy, b: TrustPolicy): TrustPolicy {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b;
}

export function isLower(a: TrustPolicy, than: TrustPolicy): boolean {
  return STRICTNESS[a] < STRICTNESS[than];
}

export interface PolicySources {
  fleet: TrustPolicy;
  /** From the device's YAML comment: can raise, never lower. */
  yaml: TrustPolicy | null;
  /** Set through the admin API (logged): replaces the fleet's as the device's floor. */
  admin: TrustPolicy | null;
}

/** The policy the gate applies, and why. */
export function effectivePolicy(s: PolicySources): { policy: TrustPolicy; ignoredYaml: boolean } {
  const floor = s.admin ?? s.fleet;
  if (s.yaml === null) return { policy: floor, ignoredYaml: false };
  return { policy: stricter(floor, s.yaml), ignoredYaml: isLower(s.yaml, floor) };
}

export interface DevicePolicyRow {
  deviceId: string;
  policy: TrustPolicy;
  actor: string;
  setAt: string;
  logIndex: number;
}

/** Admin-set device policies (table `trust_device_policies`); kept in memory, the gate asks per flash. */
export class DevicePolicies {
  private readonly byDevice = new Map<string, DevicePolicyRow>();
  /** Rows that do not match the log entry they name (written into the database by hand): ignored. */
  readonly problems: string[] = [];

  /** `logged(row)`: does the log entry the row names record exactly this change? */
  constructor(
    private readonly db: Database.Database,
    logged: (row: DevicePolicyRow) => boolean = () => true,
  ) {
    const rows = db.prepare("SELECT device_id, policy, actor, set_at, log_index FROM trust_device_policies").all() as {
      device_id: string;
      policy: TrustPolicy;
      actor: string;
      set_at: string;
      log_index: number;
    }[];
    for (const r of rows) {
      const row = { deviceId: r.device_id, policy: r.policy, actor: r.actor, setAt: r.set_at, logIndex: r.log_index };
      if (logged(row)) this.byDevice.set(r.device_id, row);
      else
        this.problems.push(
          `device ${r.device_id}: trust policy "${r.policy}" in the database was never set through the API (log entry ${r.log_index} does not record it); ignored`,
        );
    }
  }

  get(deviceId: string): TrustPolicy | null {
    return this.byDevice.get(deviceId)?.policy ?? null;
  }

  list(): DevicePolicyRow[] {
    return [...this.byDevice.values()];
  }

  set(row: DevicePolicyRow): void {
    this.db
      .prepare(
        `INSERT INTO trust_device_policies (device_id, policy, actor, set_at, log_index) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET policy = excluded.policy, actor = excluded.actor,
           set_at = excluded.set_at, log_index = excluded.log_index`,
      )
      .run(row.deviceId, row.policy, row.actor, row.setAt, row.logIndex);
    this.byDevice.set(row.deviceId, row);
  }

  clear(deviceId: string): boolean {
    this.db.prepare("DELETE FROM trust_device_policies WHERE device_id = ?").run(deviceId);
    return this.byDevice.delete(deviceId);
  }
}
