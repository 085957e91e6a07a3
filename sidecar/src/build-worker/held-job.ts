// What the worker keeps per job from `assign` until the sidecar acknowledges its end: the run,
// its log stream, and — once finished — the result and firmware bytes, which are sent again
// after every reconnect until an `ack` arrives.
import { Fence, type JobPhase, type ResultMessage } from "@esphome-forge/shared";
import type { BuiltImage } from "./firmware.js";
import type { JobOutcome, JobRun } from "./job-runner.js";
import type { JobLog } from "./log-stream.js";

export interface JobRef {
  jobId: number;
  /** The assignment's fencing token (random; only compared for equality). */
  fence: string;
}

export interface HeldJob {
  ref: JobRef;
  deviceId: string;
  /** Null for an assignment refused before it could run (invalid message). */
  run: JobRun | null;
  log: JobLog;
  finished: boolean;
  result: ResultMessage | null;
  images: BuiltImage[];
  /** Set when the job is dropped without a result: abandoned by the sidecar, or handed back with `release`. */
  discard: { release: string | null } | null;
  /** Set while the result waits to be sent again (the sidecar said "later"). */
  retryTimer: NodeJS.Timeout | null;
}

const MAX_ERROR_CHARS = 4096;

export function resultMessage(ref: JobRef, o: JobOutcome & { provenance?: string }): ResultMessage {
  return {
    type: "result",
    ...ref,
    outcome: o.outcome,
    phase: o.phase,
    error: o.error === null ? null : truncate(o.error, MAX_ERROR_CHARS),
    firmware: o.images.map((i) => i.image),
    esphomeVersion: o.esphomeVersion,
    durationMs: Math.max(0, Math.round(o.durationMs)),
    ...(o.validationErrors?.length ? { validationErrors: o.validationErrors } : {}),
    ...(o.provenance ? { provenance: o.provenance } : {}),
  };
}

export function failedResult(ref: JobRef, phase: JobPhase, error: string): ResultMessage {
  return resultMessage(ref, { outcome: "failed", phase, error, images: [], esphomeVersion: null, durationMs: 0 });
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The job ref of a raw message that failed validation, when it names one. */
export function refOf(raw: unknown): JobRef | null {
  const r = raw as { jobId?: unknown; fence?: unknown } | null;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n > 0;
  return r && ok(r.jobId) && typeof r.fence === "string" && Fence.safeParse(r.fence).success
    ? { jobId: r.jobId, fence: r.fence }
    : null;
}
