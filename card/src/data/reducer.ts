// Pure state transitions: a snapshot replaces everything, deltas replace one entry each. Objects
// that did not change keep their identity, so views can compare by reference and re-render only
// what a delta touched.
import type { Job } from "@esphome-forge/shared";
import type { ConnectionStatus, ForgeState, StateEvent } from "./types.js";

/** Finished jobs kept in memory beyond the active ones (older ones are dropped first). */
export const MAX_FINISHED_JOBS = 200;

export const TERMINAL_STATES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
export const isActiveJob = (job: Job) => !TERMINAL_STATES.has(job.state);

export function initialState(status: ConnectionStatus = "connecting"): ForgeState {
  return {
    status,
    error: null,
    since: null,
    loaded: false,
    seq: -1,
    devices: new Map(),
    jobs: new Map(),
    workers: new Map(),
    schedules: new Map(),
    alerts: new Map(),
    esphomeRelease: null,
    workspace: null,
  };
}

/**
 * A new connection status. `since` says when a not-live status began: given (the backend knows,
 * e.g. HA reports when it lost the sidecar), else kept from an earlier not-live status, else now.
 * The first `connecting` has none (nothing was lost yet); a reconnect's `connecting` keeps it.
 */
export function withStatus(
  state: ForgeState,
  status: ConnectionStatus,
  error: string | null = null,
  since: string | null = null,
  now: () => Date = () => new Date(),
): ForgeState {
  const nextSince =
    status === "live" ? null : (since ?? state.since ?? (status === "connecting" ? null : now().toISOString()));
  if (state.status === status && state.error === error && state.since === nextSince) return state;
  return { ...state, status, error, since: nextSince };
}

function upsert<K, V>(map: ReadonlyMap<K, V>, key: K, value: V | null, op: "upsert" | "remove"): ReadonlyMap<K, V> {
  if (op === "remove" || value == null) {
    if (!map.has(key)) return map;
    const next = new Map(map);
    next.delete(key);
    return next;
  }
  const next = new Map(map);
  next.set(key, value);
  return next;
}

/** Drops the oldest finished jobs past the cap; active jobs are always kept. */
export function pruneJobs(jobs: ReadonlyMap<number, Job>, max = MAX_FINISHED_JOBS): ReadonlyMap<number, Job> {
  let finished = 0;
  for (const j of jobs.values()) if (!isActiveJob(j)) finished++;
  if (finished <= max) return jobs;
  const drop = [...jobs.values()]
    .filter((j) => !isActiveJob(j))
    .sort((a, b) => (a.finishedAt ?? a.updatedAt).localeCompare(b.finishedAt ?? b.updatedAt) || a.id - b.id)
    .slice(0, finished - max);
  const next = new Map(jobs);
  for (const j of drop) next.delete(j.id);
  return next;
}

export function reduce(state: ForgeState, event: StateEvent): ForgeState {
  if (event.type === "snapshot") {
    return {
      status: "live",
      error: null,
      since: null,
      loaded: true,
      seq: event.seq,
      devices: new Map(event.devices.map((d) => [d.id, d])),
      jobs: pruneJobs(new Map(event.jobs.map((j) => [j.id, j]))),
      workers: new Map(event.workers.map((w) => [w.id, w])),
      schedules: new Map((event.schedules ?? []).map((s) => [s.id, s])),
      alerts: new Map((event.alerts ?? []).map((a) => [a.id, a])),
      esphomeRelease: event.esphomeRelease ?? null,
      workspace: event.workspace ?? null,
    };
  }
  // Deltas before the first snapshot, or already contained in it, are ignored.
  if (!state.loaded || event.seq <= state.seq) return state;
  const seq = event.seq;
  switch (event.type) {
    case "device":
      return { ...state, seq, devices: upsert(state.devices, event.id, event.device, event.op) };
    case "job":
      return { ...state, seq, jobs: pruneJobs(upsert(state.jobs, event.id, event.job, event.op)) };
    case "worker":
      return { ...state, seq, workers: upsert(state.workers, event.id, event.worker, event.op) };
    case "schedule":
      return { ...state, seq, schedules: upsert(state.schedules, event.id, event.schedule, event.op) };
    case "alert":
      return { ...state, seq, alerts: upsert(state.alerts, event.id, event.alert, event.op) };
    case "release":
      return { ...state, seq, esphomeRelease: event.release };
    case "workspace":
      return { ...state, seq, workspace: event.status };
  }
}
