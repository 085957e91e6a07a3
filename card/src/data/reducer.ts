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
    loaded: false,
    seq: -1,
    devices: new Map(),
    jobs: new Map(),
    workers: new Map(),
    workspace: null,
  };
}

export function withStatus(state: ForgeState, status: ConnectionStatus, error: string | null = null): ForgeState {
  if (state.status === status && state.error === error) return state;
  return { ...state, status, error };
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
      loaded: true,
      seq: event.seq,
      devices: new Map(event.devices.map((d) => [d.id, d])),
      jobs: pruneJobs(new Map(event.jobs.map((j) => [j.id, j]))),
      workers: new Map(event.workers.map((w) => [w.id, w])),
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
    case "workspace":
      return { ...state, seq, workspace: event.status };
  }
}
