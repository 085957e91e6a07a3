// The operations the API offers on jobs, in one place: resolve targets to devices, queue
// (coalescing), cancel (reaching the worker), retry.
import type { CreateJobsResponse, Job, JobAction, JobParams, JobPriority, JobTargets } from "@esphome-forge/shared";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { Inventory } from "../inventory/inventory.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { JobQueue } from "../queue/job-queue.js";
import { ValidationError } from "../util/errors.js";
import type { WorkerRegistry } from "../worker-hub/worker-registry.js";
import type { BuildFloor } from "./build-floor.js";
import type { DeviceView } from "./device-view.js";
import type { DeviceViews } from "./device-views.js";

/** Longest a job request runs before it lets the event loop serve others. */
const CREATE_SLICE_MS = 10;

export interface CreateJobsInput {
  action: JobAction;
  targets: JobTargets;
  priority: JobPriority;
  params: JobParams;
  source: string;
}

export class JobService {
  constructor(
    private readonly queue: JobQueue,
    private readonly inventory: Inventory,
    private readonly view: DeviceView,
    private readonly dispatcher: Dispatcher,
    private readonly registry: WorkerRegistry,
    /** The views in memory: "outdated" targets read them instead of rebuilding every view. */
    private readonly views: DeviceViews,
    /** The free-space floor for new builds (refuses compiles up front when the disk runs low). */
    private readonly floor?: BuildFloor,
  ) {}

  resolveTargets(targets: JobTargets): { devices: InventoryDevice[]; skipped: CreateJobsResponse["skipped"] } {
    const all = this.inventory.list();
    const skipped: CreateJobsResponse["skipped"] = [];
    if ("devices" in targets) {
      const devices: InventoryDevice[] = [];
      for (const id of new Set(targets.devices)) {
        const d = this.inventory.get(id);
        if (d) devices.push(d);
        else skipped.push({ deviceId: id, reason: "unknown device" });
      }
      return { devices, skipped };
    }
    if ("all" in targets) return { devices: all, skipped };
    if ("tags" in targets) return { devices: all.filter((d) => targets.tags.some((t) => d.tags.includes(t))), skipped };
    return { devices: all.filter((d) => this.outdated(d)), skipped };
  }

  /** Whether Forge would build something other than what it last flashed (read from the views in memory). */
  outdated(d: InventoryDevice): boolean {
    return (this.views.get(d.id) ?? this.view.toDevice(d)).outdated;
  }

  /**
   * Queues the action for every target. A whole fleet is queued in slices of a few milliseconds (each
   * job is a transaction, an event and a device view): the event loop keeps serving leases,
   * heartbeats and requests meanwhile, and workers start on the first jobs before the last is queued.
   */
  async create(input: CreateJobsInput): Promise<CreateJobsResponse> {
    this.floor?.check(input.action);
    const pinned = input.params.workerId;
    // A job pinned to a worker that never connected would wait in the queue for ever.
    if (pinned !== undefined && !this.registry.has(pinned))
      throw new ValidationError(`params.workerId: no worker with id ${pinned} has ever connected (see GET /workers)`);
    const { devices, skipped } = this.resolveTargets(input.targets);
    const jobs: CreateJobsResponse["jobs"] = [];
    let slice = performance.now();
    for (const target of devices) {
      if (performance.now() - slice >= CREATE_SLICE_MS) {
        if (jobs.length > 0) this.dispatcher.kick();
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
      // Read again: the device may have changed or gone while earlier slices ran.
      const d = this.inventory.get(target.id);
      if (!d) {
        skipped.push({ deviceId: target.id, reason: "unknown device" });
        continue;
      }
      // validate runs anyway: reporting what is wrong with the config (file, line) is its job.
      if (d.error && input.action !== "upload" && input.action !== "validate") {
        skipped.push({ deviceId: d.id, reason: `config cannot be read: ${d.error}` });
        continue;
      }
      const { job, coalesced } = this.queue.enqueue({
        deviceId: d.id,
        action: input.action,
        priority: input.priority,
        params: input.params,
        source: input.source,
        configHash: d.configHash,
        esphomeVersion: input.params.esphomeVersion ?? this.view.targetVersion(d),
      });
      jobs.push({ jobId: job.id, deviceId: d.id, coalesced });
    }
    if (jobs.length > 0) this.dispatcher.kick();
    return { jobs, skipped };
  }

  cancel(jobId: number, reason = "cancelled by request"): Job {
    const job = this.queue.requestCancel(jobId, reason);
    if (job.state === "running" && job.workerId) this.tellWorkerToStop(job, reason);
    return job;
  }

  /** Sends `cancel` to the worker holding a running job (used by cancel and by timeouts). */
  tellWorkerToStop(job: Job, reason: string): void {
    const fence = this.queue.fenceOf(job.id);
    const session = job.workerId ? this.registry.session(job.workerId) : undefined;
    if (fence != null && session && !session.closed) session.send({ type: "cancel", jobId: job.id, fence, reason });
  }

  retry(jobId: number, source: string): CreateJobsResponse {
    const finished = this.queue.get(jobId);
    if (finished) this.floor?.check(finished.action);
    const { job, coalesced } = this.queue.retry(jobId, source, finished ? this.retryPlan(finished) : {});
    this.dispatcher.kick();
    return { jobs: [{ jobId: job.id, deviceId: job.deviceId, coalesced }], skipped: [] };
  }

  /**
   * Retry semantics (README "Retry"): the ESPHome version is resolved again (the job's own `esphomeVersion`
   * parameter, else the device's pin now, else the fleet default). A job whose build was approved but whose
   * flash failed flashes that same image again, unless the version resolved now differs from the one the
   * image was built with: then it recompiles with the current pin, and the log says why.
   */
  private retryPlan(job: Job): { reflash?: boolean; why?: string; esphomeVersion?: string | null } {
    const device = this.inventory.get(job.deviceId);
    const now = job.params.esphomeVersion ?? (device ? this.view.targetVersion(device) : null);
    if (!now) return {};
    if (!job.flashSha256 || !job.esphomeVersion || now === job.esphomeVersion) return { esphomeVersion: now };
    return {
      reflash: false,
      esphomeVersion: now,
      why: `the image was built with ESPHome ${job.esphomeVersion}, the device is now pinned to ${now}`,
    };
  }

  cancelDevice(deviceId: string): Job[] {
    return this.queue.cancelAllForDevice(deviceId).map((j) => {
      if (j.state === "running") this.tellWorkerToStop(j, "device removed");
      return j;
    });
  }
}
