// The fleet setting `localWorkerSlots` reaches a running built-in worker live (LocalWorker.apply →
// the hub's `configure`): no restart of the worker, and the job it is building keeps running.
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { Worker } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob } from "../test-support/fleet-jobs.js";

let sc: SidecarProc | undefined;
afterAll(async () => {
  await sc?.stop();
});

it("takes a new localWorkerSlots setting live, without dropping the job it is building", async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "s1", standin: ["sleep-ms=4000"] },
    { id: "s2", standin: ["sleep-ms=1500"] },
  ]);
  // No --local-slots flag: the stored setting decides, so a PATCH of it takes effect.
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: null });
  const api = new Api(sc.url, sc.token);
  const localWorker = async () =>
    (await api.json<{ workers: Worker[] }>("GET", "/workers")).workers.find((w) => w.local && w.online);
  const before = await waitFor(localWorker, "the local worker online");
  expect(before.slots).toBe(1);

  const [first] = (await api.createJobs({ action: "compile", targets: { devices: ["s1"] }, params: {} })).jobs;
  await waitFor(async () => (await api.job(first!.jobId)).phase === "compile", "s1 building");

  await api.json("PATCH", "/settings", { localWorkerSlots: 2 });
  const after = await waitFor(async () => {
    const w = await localWorker();
    return w?.slots === 2 ? w : undefined;
  }, "the local worker at two slots");
  // The same connection: the worker was reconfigured, not restarted.
  expect(after.id).toBe(before.id);
  expect(after.connectedAt).toBe(before.connectedAt);

  const [second] = (await api.createJobs({ action: "compile", targets: { devices: ["s2"] }, params: {} })).jobs;
  // The second slot is real on the worker: s2 builds while s1 still does.
  await waitFor(async () => {
    const [a, b] = await Promise.all([api.job(first!.jobId), api.job(second!.jobId)]);
    return a.phase === "compile" && b.phase === "compile";
  }, "both building at once");
  for (const id of [first!.jobId, second!.jobId]) {
    const job = await settledJob(api, id);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.attempts).toBe(1);
  }
});
