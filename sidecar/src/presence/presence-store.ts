// Presence kept across restarts: each source's last report per device (so "last seen" and the last
// known running firmware survive), and the config-hash baseline after Forge's last flash (so a
// change made outside Forge while the sidecar was down is still noticed). Written when a device's
// presence view changes (a few times an hour per device at most), and once more at stop.
import type { PresenceSource } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import { NO_FACTS, type DeviceFacts } from "./esphome-txt.js";
import type { Baseline } from "./running-match.js";

export interface SourceReport {
  /** The source's own verdict (mdns: heard within the silence and no goodbye; ha: connected and fresh). */
  online: boolean;
  since: number;
  lastSeen: number | null;
  /** When the source last reported the facts (mdns: a TXT record in hand; ha: a report). */
  reportedAt: number;
  facts: DeviceFacts;
  /** When `facts` last changed. */
  factsAt: number;
  addresses: string[];
  hostname: string | null;
}

interface Row {
  device_id: string;
  source: PresenceSource;
  online: number;
  since: number;
  last_seen: number | null;
  reported_at: number;
  report: string;
}

export class PresenceStore {
  constructor(
    private readonly db: Db,
    /** Runs a write; a full disk makes it a no-op (see durability/disk-state.ts). */
    private readonly guard: (what: string, fn: () => void) => void = (_w, fn) => fn(),
  ) {}

  load(): { reports: Map<string, Partial<Record<PresenceSource, SourceReport>>>; baselines: Map<string, Baseline> } {
    const reports = new Map<string, Partial<Record<PresenceSource, SourceReport>>>();
    for (const r of this.db.prepare("SELECT * FROM device_presence").all() as Row[]) {
      const body = safeJson(r.report);
      const entry = reports.get(r.device_id) ?? {};
      entry[r.source] = {
        online: r.online === 1,
        since: r.since,
        lastSeen: r.last_seen,
        reportedAt: r.reported_at,
        facts: { ...NO_FACTS, ...(body.facts as Partial<DeviceFacts> | undefined) },
        factsAt: typeof body.factsAt === "number" ? body.factsAt : r.reported_at,
        addresses: Array.isArray(body.addresses) ? body.addresses.filter((a) => typeof a === "string") : [],
        hostname: typeof body.hostname === "string" ? body.hostname : null,
      };
      reports.set(r.device_id, entry);
    }
    const baselines = new Map<string, Baseline>();
    const rows = this.db.prepare("SELECT device_id, flash_job_id, config_hash FROM device_running_baseline").all() as {
      device_id: string;
      flash_job_id: number;
      config_hash: string;
    }[];
    for (const b of rows) baselines.set(b.device_id, { flashJobId: b.flash_job_id, configHash: b.config_hash });
    return { reports, baselines };
  }

  save(deviceId: string, reports: Partial<Record<PresenceSource, SourceReport>>): void {
    this.guard("recording presence", () => {
      const put = this.db.prepare(
        `INSERT INTO device_presence (device_id, source, online, since, last_seen, reported_at, report)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, source) DO UPDATE SET online = excluded.online, since = excluded.since,
           last_seen = excluded.last_seen, reported_at = excluded.reported_at, report = excluded.report`,
      );
      this.db.transaction(() => {
        for (const [source, r] of Object.entries(reports) as [PresenceSource, SourceReport][]) {
          const body = JSON.stringify({
            facts: r.facts,
            factsAt: r.factsAt,
            addresses: r.addresses,
            hostname: r.hostname,
          });
          put.run(deviceId, source, r.online ? 1 : 0, r.since, r.lastSeen, r.reportedAt, body);
        }
      })();
    });
  }

  saveBaseline(deviceId: string, b: Baseline, at: number): void {
    this.guard("recording the running firmware's baseline", () => {
      this.db
        .prepare(
          `INSERT INTO device_running_baseline (device_id, flash_job_id, config_hash, seen_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (device_id) DO UPDATE SET flash_job_id = excluded.flash_job_id,
             config_hash = excluded.config_hash, seen_at = excluded.seen_at`,
        )
        .run(deviceId, b.flashJobId, b.configHash, at);
    });
  }

  /** Forgets a device (removed from the config folder). */
  forget(deviceId: string): void {
    this.guard("forgetting presence", () => {
      this.db.prepare("DELETE FROM device_presence WHERE device_id = ?").run(deviceId);
      this.db.prepare("DELETE FROM device_running_baseline WHERE device_id = ?").run(deviceId);
    });
  }
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
