// Turns what happens in the sidecar into webhook events: a job that finished, a schedule that ran, a
// new ESPHome release, an alert raised or cleared, a device that went offline or came back. Home
// Assistant derives its own bus events from the same state on the events stream; this is the
// webhook's side of it. Nothing here waits: the webhook queues and delivers in the background.
import {
  TERMINAL_JOB_STATES,
  otaImage,
  type Alert,
  type Device,
  type EsphomeRelease,
  type Job,
  type Schedule,
  type ScheduleRun,
} from "@esphome-forge/shared";
import type { Clock } from "../util/clock.js";
import type { WebhookSink } from "./webhook.js";

/** Finished jobs remembered so a re-announced job (an annotation changed) is not news twice. */
const REMEMBERED_JOBS = 5000;

export class Notifier {
  private readonly announced = new Set<number>();
  private readonly online = new Map<string, boolean>();
  private readonly since: number;

  constructor(
    private readonly webhook: Pick<WebhookSink, "notify">,
    clock: Clock,
  ) {
    // Jobs that finished before this start were announced by the previous run (or never will be).
    this.since = clock.now() - 5000;
  }

  job(job: Job): void {
    if (!TERMINAL_JOB_STATES.includes(job.state) || this.announced.has(job.id)) return;
    if (job.finishedAt && Date.parse(job.finishedAt) < this.since) return;
    this.announced.add(job.id);
    if (this.announced.size > REMEMBERED_JOBS) this.announced.delete(this.announced.values().next().value!);
    this.webhook.notify("job_finished", {
      jobId: job.id,
      deviceId: job.deviceId,
      action: job.action,
      state: job.state,
      source: job.source,
      error: job.error,
      durationMs: job.durationMs,
      workerId: job.workerId,
      esphomeVersion: job.esphomeVersion,
      firmwareSha256: otaImage(job.firmware)?.sha256 ?? null,
    });
  }

  scheduleRan(schedule: Schedule, run: ScheduleRun): void {
    this.webhook.notify("schedule_ran", {
      ...run,
      name: schedule.name,
      target: schedule.target,
      action: schedule.action,
      nextRunAt: schedule.nextRunAt,
    });
  }

  release(release: EsphomeRelease): void {
    this.webhook.notify("esphome_release", { ...release });
  }

  alert(op: "upsert" | "remove", alert: Alert, raised: boolean): void {
    if (op === "remove") this.webhook.notify("alert_cleared", { ...alert });
    else if (raised) this.webhook.notify("alert_raised", { ...alert });
  }

  /** The devices as they are when the notifier starts (their presence restored): changes from here are news. */
  knownDevices(devices: readonly Device[]): void {
    for (const d of devices) if (typeof d.online === "boolean") this.online.set(d.id, d.online);
  }

  /**
   * A device's presence (the Device's `online`, when the sidecar knows it): going from online to
   * offline or back is an event; the first sighting is not.
   */
  device(id: string, device: Device | null): void {
    const online = device?.online;
    if (typeof online !== "boolean") {
      if (device === null) this.online.delete(id);
      return;
    }
    const before = this.online.get(id);
    this.online.set(id, online);
    if (before === undefined || before === online) return;
    this.webhook.notify(online ? "device_online" : "device_offline", {
      deviceId: id,
      name: device!.friendlyName ?? device!.name,
    });
  }
}
