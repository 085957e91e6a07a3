// Files at rest, after a real start and a real build (sidecar and worker processes): the data
// folder and everything secret in it is the sidecar's alone, a worker's build folders and their
// secrets.yaml are the worker's alone, and an install from before is tightened at its next start.
import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Device } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";

const procs: { stop(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
});

const mode = (p: string) => statSync(p).mode & 0o777;

/** Every folder and file under `root` (itself included) whose mode lets group or others in. */
function open(root: string): string[] {
  const loose = (mode(root) & 0o077) !== 0 ? [root] : [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if ((e.isFile() || e.isDirectory()) && (mode(p) & 0o077) !== 0) loose.push(`${p} ${mode(p).toString(8)}`);
  }
  return loose;
}

/** Starts the sidecar and a worker; the worker keeps its token across restarts (its id is bound to it). */
async function sidecarWithWorker(
  dataDir: string,
  stateDir: string,
  token?: string,
): Promise<{ sc: SidecarProc; api: Api; worker: WorkerProc; secret: string }> {
  const sc = await startSidecar({ dataDir, localSlots: 0, env: { FORGE_ESPHOME_BIN: "" } });
  procs.push(sc);
  const api = new Api(sc.url, sc.token);
  const secret = token ?? (await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" })).secret;
  const worker = startWorker({ url: sc.url, token: secret, name: "w", stateDir });
  procs.push(worker);
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "worker online",
  );
  return { sc, api, worker, secret };
}

async function compileFirstDevice(api: Api): Promise<string> {
  const devices = await waitFor(
    async () => (await api.json<{ devices: Device[] }>("GET", "/devices")).devices.filter((d) => !d.error),
    "seeded devices",
  );
  const id = devices[0]!.id;
  const r = await api.createJobs({ action: "compile", targets: { devices: [id] } });
  const job = await settledJob(api, r.jobs[0]!.jobId);
  expect(job.state, await api.log(job.id)).toBe("succeeded");
  expect(job.firmware.length).toBeGreaterThan(0);
  return id;
}

describe("files at rest", () => {
  const dataDir = tempDir();
  const stateDir = join(tempDir("forge-worker-"), "state");
  let device = "";
  let workerToken = "";

  it("are private after a fresh start and a build: data folder, database, tokens, keys, firmware, build folders", async () => {
    const { sc, api, worker, secret } = await sidecarWithWorker(dataDir, stateDir);
    workerToken = secret;
    device = await compileFirstDevice(api);
    expect(mode(dataDir)).toBe(0o700);
    for (const f of ["forge.db", "forge.db-wal", "forge.db-shm", "admin-token", "instance-id"])
      expect(mode(join(dataDir, f)), f).toBe(0o600);
    expect(mode(join(dataDir, "config", "secrets.yaml"))).toBe(0o600); // seeded
    expect(open(join(dataDir, "trust"))).toEqual([]);
    const firmware = join(dataDir, "firmware");
    expect(readdirSync(firmware).length).toBeGreaterThan(0);
    expect(open(firmware)).toEqual([]);
    // The worker: state folder, build folders, the secrets it was sent and ESPHome's output.
    const folder = join(stateDir, "builds", device);
    expect(mode(stateDir)).toBe(0o700);
    expect(mode(join(stateDir, "builds"))).toBe(0o700);
    expect(mode(join(folder, "secrets.yaml"))).toBe(0o600);
    expect(open(folder)).toEqual([]);
    await worker.stop();
    await sc.stop();
  }, 90_000);

  it("are tightened at the next start when an older install left them open", async () => {
    const loosen = (p: string, m: number) => chmodSync(p, m);
    loosen(dataDir, 0o755);
    for (const f of ["forge.db", "admin-token", "instance-id"]) loosen(join(dataDir, f), 0o644);
    for (const e of readdirSync(join(dataDir, "firmware"), { withFileTypes: true, recursive: true })) {
      const p = join(e.parentPath, e.name);
      loosen(p, e.isDirectory() ? 0o755 : 0o644);
    }
    const keys = join(dataDir, "trust", "keys");
    for (const k of readdirSync(keys)) loosen(join(keys, k), 0o644);
    loosen(join(stateDir), 0o755);
    loosen(join(stateDir, "builds"), 0o755);
    loosen(join(stateDir, "builds", device, "secrets.yaml"), 0o644);

    const { sc, api } = await sidecarWithWorker(dataDir, stateDir, workerToken);
    expect(sc.output()).toMatch(/data folder: made \d+ file\(s\) and folder\(s\) private/);
    expect(mode(dataDir)).toBe(0o700);
    for (const f of ["forge.db", "forge.db-wal", "forge.db-shm", "admin-token", "instance-id"])
      expect(mode(join(dataDir, f)), f).toBe(0o600);
    expect(open(join(dataDir, "firmware"))).toEqual([]);
    expect(open(join(dataDir, "trust"))).toEqual([]);
    expect(mode(stateDir)).toBe(0o700);
    // The worker's build folder is tightened when it is next used.
    const r = await api.createJobs({ action: "compile", targets: { devices: [device] } });
    expect((await settledJob(api, r.jobs[0]!.jobId)).state).toBe("succeeded");
    expect(mode(join(stateDir, "builds"))).toBe(0o700);
    expect(open(join(stateDir, "builds", device))).toEqual([]);
  }, 90_000);
});
