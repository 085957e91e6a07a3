// Helpers the process tests share: a sidecar with one stand-in worker, waiting for a job to end,
// and counting what the stand-in "flashed" (it appends a line per upload in the build folder).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

export type WorkerProc = ProcHandle & { stateDir: string };

/** Resolves with the job once it is in a terminal state. */
export function settledJob(api: Api, id: number, timeoutMs = 30_000): Promise<Job> {
  return waitFor(
    async () => {
      const j = await api.job(id);
      return TERMINAL.includes(j.state) ? j : null;
    },
    `job ${id} to finish`,
    timeoutMs,
  );
}

/** How many times the stand-in flashed this device from this worker's build folder. */
export function standinFlashes(w: { stateDir: string }, device: string): number {
  const f = join(w.stateDir, "builds", device, ".esphome", "standin-uploads.jsonl");
  return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n").filter(Boolean).length : 0;
}

/** The image an OTA flashes: the `ota` one, else the first. */
export const otaImageOf = (j: Job): string => (j.firmware.find((f) => f.kind === "ota") ?? j.firmware[0])!.sha256;

/**
 * A sidecar (no local worker) over these devices, one stand-in builder process and one stand-in worker an
 * admin made a `flasher` (a builder never flashes), both online.
 */
export async function startFleetWithWorker(
  devices: string[],
  workerName = "w",
): Promise<{ sc: SidecarProc; api: Api; worker: WorkerProc; flasher: WorkerProc; stop(): Promise<void> }> {
  const dataDir = tempDir();
  writeFleet(
    join(dataDir, "config"),
    devices.map((id) => ({ id })),
  );
  const sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  const api = new Api(sc.url, sc.token);
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: workerName });
  const worker = startWorker({ url: sc.url, token: secret, name: workerName });
  const flasher = await startFlasher(api, sc.url);
  await waitFor(
    async () =>
      (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.filter((w) => w.online).length >=
      2,
    "workers online",
  );
  return {
    sc,
    api,
    worker,
    flasher,
    async stop() {
      await Promise.all([worker.stop(), flasher.stop()]);
      await sc.stop();
    },
  };
}

/** A stand-in worker process that an admin gives the `flasher` role once it has connected. */
export async function startFlasher(
  api: Api,
  url: string,
  extra: { extraArgs?: string[]; buildCommand?: string; name?: string } = {},
): Promise<WorkerProc> {
  const name = extra.name ?? "flasher";
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
  // No slots until it is a flasher: a new worker is a builder, and must not pick up a queued build meanwhile.
  const flasher = startWorker({ url, token: secret, slots: 0, ...extra, name });
  const id = await waitFor(
    async () =>
      (await api.json<{ workers: { id: string; name: string; online: boolean }[] }>("GET", "/workers")).workers.find(
        (w) => w.name === name && w.online,
      )?.id ?? null,
    "flasher online",
  );
  await api.json("PATCH", `/workers/${id}`, { roles: ["flasher"] });
  await api.json("PATCH", `/workers/${id}`, { slots: 1 });
  return flasher;
}
