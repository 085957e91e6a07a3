// The queue's face for flashes waiting for their device (`waiting_for_device`, flash-steps.ts): who
// judges whether a device is away, the failed flash that waits, the device that is back, expiry. Each
// operation is one queue transaction (the queue's `run`: events go out after the commit).
import type { Job, Settings } from "@esphome-forge/shared";
import {
  deviceBack,
  devicesWaitedFor,
  expireWaits,
  failedFlashWaits,
  rejudgeWaits,
  type WaitJudge,
  type WaitPolicy,
} from "./flash-steps.js";
import { heldBy, type Holder } from "./job-leases.js";
import type { JobRows } from "./job-rows.js";
import type { Tx } from "./job-transitions.js";

/** The queue's transaction runner (JobQueue.run). */
export type RunTx = <T>(fn: (t: Tx) => T) => T;

export class FlashWaits {
  private judge: WaitJudge | null = null;

  constructor(
    private readonly rows: JobRows,
    private readonly run: RunTx,
    private readonly settings: () => Pick<Settings, "deviceWaitHours">,
  ) {}

  /** How the queue asks whether a device is away (presence; fleet/device-wait.ts). Unset: flashes never wait. */
  useJudge(judge: WaitJudge): void {
    this.judge = judge;
  }

  /** The judge and the length of a wait now (`deviceWaitHours`). */
  policy(): WaitPolicy {
    return { judge: this.judge, waitMs: this.settings().deviceWaitHours * 3_600_000 };
  }

  /**
   * The holder's flash failed in its upload phase: waits for the device instead of failing when it is
   * away (`failedFlashWaits`). Undefined: the failure stands (the caller completes the job).
   */
  afterFailedFlash(jobId: number, holder: Holder, error: string | null): Job | undefined {
    const waits = this.run((t) => {
      const row = this.rows.row(jobId);
      return !!row && heldBy(row, holder) && failedFlashWaits(t, this.rows, row, error, this.policy());
    });
    return waits ? this.rows.job(jobId) : undefined;
  }

  /** The device is online: its waiting flashes go back to the queue (the caller dispatches). */
  deviceOnline(deviceId: string, why = "the device is online; flashing it now"): Job[] {
    return this.jobs(this.run((t) => deviceBack(t, this.rows, deviceId, why)));
  }

  /** The device went (or is still) away: its waiting flashes' reasons are brought up to date. */
  refresh(deviceId: string): void {
    this.run((t) => rejudgeWaits(t, this.rows, deviceId, this.policy()));
  }

  /** Every device a flash waits for (the start-up recheck against presence). */
  devices(): string[] {
    return devicesWaitedFor(this.rows);
  }

  /** Waiting flashes past `waitingUntil` fail, their build kept (on the lease sweep's cadence). */
  expire(): Job[] {
    return this.jobs(this.run((t) => expireWaits(t, this.rows)));
  }

  private jobs(ids: number[]): Job[] {
    return this.rows.toJobs(ids.map((id) => this.rows.row(id)!));
  }
}
