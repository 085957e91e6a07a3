// The fake integration's backend: a fleet whose jobs run on timers and write ANSI logs, and which
// emits snapshot / delta / log events exactly as the sidecar (and so the integration) sends them.
import type { CreateJobsResponse, DeltaEvent, Device, Job, SnapshotEvent, Worker } from "@esphome-forge/shared";
import { makeJob, makeSnapshot } from "../fixtures/fleet.ts";

type Listener = (e: SnapshotEvent | DeltaEvent) => void;
type LogListener = (
  e: { type: "log"; jobId: number; offset: number; chunk: string } | { type: "log_end"; jobId: number; state: string },
) => void;

const enc = new TextEncoder();

export class FakeFleet {
  seq = 1;
  devices = new Map<string, Device>();
  jobs = new Map<number, Job>();
  workers = new Map<string, Worker>();
  logs = new Map<number, string>();
  private readonly logBytes = new Map<number, number>();
  private nextJob = 1;
  private readonly listeners = new Set<Listener>();
  private readonly logListeners = new Map<number, Set<LogListener>>();
  /** Milliseconds per simulated build step. */
  stepMs = 120;

  constructor(devices: number) {
    const snap = makeSnapshot(devices, 1);
    for (const d of snap.devices) this.devices.set(d.id, d);
    for (const j of snap.jobs) this.jobs.set(j.id, j);
    for (const w of snap.workers) this.workers.set(w.id, w);
  }

  snapshot(): SnapshotEvent {
    return {
      type: "snapshot",
      seq: this.seq,
      devices: [...this.devices.values()],
      jobs: [...this.jobs.values()],
      workers: [...this.workers.values()],
    };
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  subscribeLog(jobId: number, offset: number, fn: LogListener): () => void {
    const text = this.logs.get(jobId) ?? "";
    const bytes = enc.encode(text);
    fn({
      type: "log",
      jobId,
      offset: Math.min(offset, bytes.length),
      chunk: new TextDecoder().decode(bytes.slice(offset)),
    });
    const job = this.jobs.get(jobId);
    if (job && ["succeeded", "failed", "cancelled", "timed_out"].includes(job.state)) {
      fn({ type: "log_end", jobId, state: job.state });
      return () => undefined;
    }
    const set = this.logListeners.get(jobId) ?? new Set();
    set.add(fn);
    this.logListeners.set(jobId, set);
    return () => set.delete(fn);
  }

  emit(e: DeltaEvent): void {
    for (const fn of [...this.listeners]) fn(e);
  }

  upsertJob(job: Job): void {
    this.jobs.set(job.id, job);
    this.emit({ type: "job", seq: ++this.seq, op: "upsert", id: job.id, job });
  }

  upsertDevice(device: Device): void {
    this.devices.set(device.id, device);
    this.emit({ type: "device", seq: ++this.seq, op: "upsert", id: device.id, device });
  }

  appendLog(jobId: number, chunk: string): void {
    const offset = this.logBytes.get(jobId) ?? 0;
    this.logs.set(jobId, (this.logs.get(jobId) ?? "") + chunk);
    this.logBytes.set(jobId, offset + enc.encode(chunk).length);
    for (const fn of this.logListeners.get(jobId) ?? []) fn({ type: "log", jobId, offset, chunk });
  }

  private endLog(jobId: number, state: string): void {
    for (const fn of this.logListeners.get(jobId) ?? []) fn({ type: "log_end", jobId, state });
    this.logListeners.delete(jobId);
  }

  /** `params.whenOnline`: an offline device's flash waits in `waiting_for_device` until `wake`. */
  createJobs(action: Job["action"], deviceIds: string[], params: Job["params"] = {}): CreateJobsResponse {
    const res: CreateJobsResponse = { jobs: [], skipped: [] };
    for (const id of deviceIds) {
      if (!this.devices.has(id)) {
        res.skipped.push({ deviceId: id, reason: `no device with id ${id}` });
        continue;
      }
      const job = makeJob(this.nextJob++ + 20_000, id, {
        action,
        params,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        source: "ha",
      });
      this.upsertJob(job);
      res.jobs.push({ jobId: job.id, deviceId: id, coalesced: false });
      setTimeout(() => this.run(job.id), this.stepMs);
    }
    return res;
  }

  cancel(jobId: number): Job {
    const job = this.jobs.get(jobId);
    if (!job) throw Object.assign(new Error(`no job with id ${jobId}`), { code: "not_found" });
    if (["succeeded", "failed", "cancelled", "timed_out"].includes(job.state)) return job;
    const done = {
      ...job,
      state: "cancelled" as const,
      cancelRequested: true,
      finishedAt: new Date().toISOString(),
      durationMs: job.startedAt ? Date.now() - Date.parse(job.startedAt) : 0,
    };
    this.upsertJob(done);
    this.appendLog(jobId, "\x1b[33mWARNING cancelled by the user\x1b[0m\n");
    this.endLog(jobId, "cancelled");
    return done;
  }

  private run(jobId: number): void {
    let job = this.jobs.get(jobId);
    if (!job || job.state !== "queued") return;
    const started = new Date().toISOString();
    job = { ...job, state: "running", startedAt: started, workerId: "local", phase: "compile", progress: 0 };
    this.upsertJob(job);
    this.appendLog(
      jobId,
      `\x1b[32mINFO ESPHome 2026.10.0\x1b[0m\nINFO Reading configuration ${job.deviceId}.yaml...\n`,
    );
    const fails = job.deviceId.includes("fail");
    let step = 0;
    const tick = () => {
      const cur = this.jobs.get(jobId);
      if (!cur || cur.state !== "running") return;
      step++;
      if (step <= 5) {
        this.appendLog(jobId, `[${step}/5] Compiling src/component_${step}.cpp.o\n`);
        this.upsertJob({ ...cur, progress: step * 20 });
        setTimeout(tick, this.stepMs);
        return;
      }
      const now = new Date().toISOString();
      const dev = this.devices.get(cur.deviceId)!;
      // An armed flash to a device that is away: the build is kept, the flash waits (7 days, as the sidecar).
      const waits = !fails && cur.action !== "compile" && cur.params.whenOnline === true && dev.online === false;
      const state = fails ? "failed" : waits ? "waiting_for_device" : "succeeded";
      if (fails) this.appendLog(jobId, "\x1b[31mERROR undefined reference to `setup'\x1b[0m\n");
      else this.appendLog(jobId, "\x1b[32mINFO Successfully compiled program.\x1b[0m\n");
      this.upsertJob({
        ...cur,
        state,
        finishedAt: waits ? null : now,
        durationMs: waits ? null : Date.now() - Date.parse(started),
        progress: null,
        phase: waits ? null : "compile",
        error: fails ? "compile failed (exit code 1)" : null,
        ...(waits
          ? {
              step: "flash" as const,
              blockedReason: `waiting for ${cur.deviceId} to come online (offline since ${dev.lastSeen ?? "unknown"})`,
              waitingUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
            }
          : {}),
      });
      const firmwareSha256 = fails ? null : "ab".repeat(32);
      const stored =
        firmwareSha256 && cur.action !== "upload"
          ? {
              jobId,
              finishedAt: now,
              firmwareSha256,
              esphomeVersion: "2026.10.0",
              configHash: dev.configHash,
              current: true,
            }
          : dev.storedFirmware;
      // A flash that went through is what runs now (the sidecar's lastFlash).
      const flashed = state === "succeeded" && cur.action !== "compile";
      this.upsertDevice({
        ...dev,
        ...(flashed
          ? {
              lastFlash: {
                jobId,
                finishedAt: now,
                configHash: dev.configHash,
                esphomeVersion: "2026.10.0",
                firmwareSha256: cur.action === "upload" ? (dev.storedFirmware?.firmwareSha256 ?? null) : firmwareSha256,
              },
            }
          : {}),
        outdated: fails ? dev.outdated : false,
        lastBuild: { jobId, action: cur.action, state, finishedAt: now, firmwareSha256, esphomeVersion: "2026.10.0" },
        storedFirmware: stored,
      });
      if (!waits) this.endLog(jobId, state);
    };
    setTimeout(tick, this.stepMs);
  }
}
