// Alerts: conditions that need someone, raised and cleared by the sidecar itself, kept in SQLite so an
// alert keeps its id and start time across restarts. Home Assistant shows each as a repairs issue; the
// webhook hears `alert_raised` / `alert_cleared`.
// - A worker offline longer than `workerOfflineAlertMin` (not for revoked workers, nor the built-in
//   local worker while it is turned off).
// - A device whose last `failingBuildsAlert` builds (compile, compile_upload, upload) all failed or
//   timed out; cancelled jobs do not count. The next success clears it.
import type { Alert, Job, Settings, Worker } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import { cachedStatement } from "../db/statements.js";

const BUILDS: Job["action"][] = ["compile", "compile_upload", "upload"];
const FINISHED_BUILD: Job["state"][] = ["succeeded", "failed", "timed_out"];

interface AlertRow {
  id: string;
  kind: Alert["kind"];
  subject: string;
  since: number;
  message: string;
  details: string;
}

export interface AlertSources {
  workers: () => Worker[];
  /** Whether the worker's token was revoked (it will not come back). */
  revoked: (workerId: string) => boolean;
  queue: Pick<JobQueue, "stateTrail" | "get">;
  settings: () => Settings;
}

export interface AlertCenterOptions extends AlertSources {
  db: Db;
  clock: Clock;
  /** An alert was raised or changed (upsert) or cleared (remove, with the alert as it was). */
  onChange: (op: "upsert" | "remove", alert: Alert, raised: boolean) => void;
}

export class AlertCenter {
  constructor(private readonly o: AlertCenterOptions) {}

  list(): Alert[] {
    return (this.o.db.prepare("SELECT * FROM alerts ORDER BY since, id").all() as AlertRow[]).map(toAlert);
  }

  /** Workers offline past the threshold raise an alert; back online (or no longer watched) clears it. */
  checkWorkers(): void {
    const minutes = this.o.settings().workerOfflineAlertMin;
    const now = this.o.clock.now();
    const seen = new Set<string>();
    for (const w of this.o.workers()) {
      const lastSeen = w.lastSeenAt ? Date.parse(w.lastSeenAt) : null;
      const watched =
        minutes > 0 && !w.online && lastSeen !== null && !this.o.revoked(w.id) && !(w.local && this.localOff());
      if (!watched || now - lastSeen < minutes * 60_000) continue;
      seen.add(w.id);
      this.raise({
        kind: "worker_offline",
        subject: w.id,
        since: lastSeen,
        message: `Build worker ${w.name} has been offline since ${new Date(lastSeen).toISOString()} (more than ${minutes} min)`,
        details: { worker: w.name, workerId: w.id, lastSeenAt: w.lastSeenAt, thresholdMinutes: minutes },
      });
    }
    for (const a of this.list()) if (a.kind === "worker_offline" && !seen.has(a.subject)) this.clear(a.id);
  }

  /** Looks at a device's latest finished builds (after each one, and for every device at start). */
  checkDevice(deviceId: string): void {
    const threshold = this.o.settings().failingBuildsAlert;
    const id = `builds_failing:${deviceId}`;
    if (threshold === 0) return this.clear(id);
    // States only (this runs for every device at start): whole jobs are loaded for an alert that is raised.
    const trail = this.o.queue.stateTrail(deviceId, BUILDS, FINISHED_BUILD, Math.max(threshold, 50));
    const streak = trail.findIndex((j) => j.state === "succeeded");
    const failures = streak === -1 ? trail.length : streak;
    if (failures < threshold) return this.clear(id);
    const latest = this.o.queue.get(trail[0]!.id)!;
    const first = this.o.queue.get(trail[failures - 1]!.id)!;
    this.raise({
      kind: "builds_failing",
      subject: deviceId,
      since: Date.parse(first.finishedAt ?? first.updatedAt),
      message: `The last ${failures} build(s) of ${deviceId} failed; the latest (job ${latest.id}, ${latest.action}) with: ${latest.error ?? latest.state}`,
      details: {
        device: deviceId,
        failures: failures >= trail.length && trail.length >= 50 ? `${failures}+` : failures,
        lastJobId: latest.id,
        lastError: latest.error,
        threshold,
      },
    });
  }

  /** A worker is online: an offline alert it had is over (O(1): this runs on every worker change). */
  workerOnline(workerId: string): void {
    this.clear(`worker_offline:${workerId}`);
  }

  /** The device is gone: its alerts go too. */
  forgetDevice(deviceId: string): void {
    this.clear(`builds_failing:${deviceId}`);
  }

  private localOff(): boolean {
    return this.o.settings().localWorkerSlots === 0;
  }

  private raise(a: Omit<AlertRow, "id" | "details"> & { details: Alert["details"] }): void {
    const id = `${a.kind}:${a.subject}`;
    const old = this.row(id);
    const details = JSON.stringify(a.details);
    if (old && old.message === a.message && old.details === details) return;
    const since = old?.since ?? a.since; // an alert keeps its start while it lasts
    this.o.db
      .prepare(
        `INSERT INTO alerts (id, kind, subject, since, message, details) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET message = excluded.message, details = excluded.details`,
      )
      .run(id, a.kind, a.subject, since, a.message, details);
    this.o.onChange("upsert", toAlert(this.row(id)!), old === undefined);
  }

  private clear(id: string): void {
    const old = this.row(id);
    if (!old) return;
    this.o.db.prepare("DELETE FROM alerts WHERE id = ?").run(id);
    this.o.onChange("remove", toAlert(old), false);
  }

  private row(id: string): AlertRow | undefined {
    return cachedStatement(this.o.db, "SELECT * FROM alerts WHERE id = ?").get(id) as AlertRow | undefined;
  }
}

function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    since: new Date(r.since).toISOString(),
    message: r.message,
    details: JSON.parse(r.details) as Alert["details"],
  };
}
