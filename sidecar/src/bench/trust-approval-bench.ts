// Approval end to end through the real sidecar, for `npm run bench` (part of the trust section): a
// real worker process (light stand-in build) compiles one device again and again; for each build the
// sidecar logs how long it took from the worker's result to the approval being logged and stored
// (verify the worker's bundle, two log entries, sign). Reported, never asserted.
import { join } from "node:path";
import { Api } from "../devtools/api-client.js";
import { writeFleet } from "../devtools/fleet.js";
import { STANDIN_FAST_COMMAND, startSidecar, startWorker, tempDir, waitFor } from "../devtools/processes.js";

const APPROVED = /build approved in ([\d.]+) ms/;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function benchApprovalThroughSidecar(builds = 20): Promise<Record<string, number>> {
  const dataDir = tempDir("forge-bench-approval-");
  writeFleet(join(dataDir, "config"), [{ id: "bench-approval" }]);
  const sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0, env: { FORGE_ESPHOME_BIN: "" } });
  const api = new Api(sc.url, sc.token);
  let worker: ReturnType<typeof startWorker> | null = null;
  try {
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "bench-approval" });
    worker = startWorker({ url: sc.url, token: secret, name: "bench-approval", buildCommand: STANDIN_FAST_COMMAND });
    await waitFor(
      async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
      "bench worker online",
    );
    const approvals: number[] = [];
    const jobs: number[] = [];
    for (let i = 0; i < builds; i++) {
      const t0 = performance.now();
      const { jobs: created } = await api.createJobs({ action: "compile", targets: { devices: ["bench-approval"] } });
      const id = created[0]!.jobId;
      const job = await waitFor(
        async () => {
          const j = await api.job(id);
          return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
        },
        `bench job ${id}`,
        60_000,
        10,
      );
      jobs.push(performance.now() - t0);
      if (job.state !== "succeeded") throw new Error(`bench build ${id} ${job.state}: ${job.error ?? ""}`);
      const m = APPROVED.exec(await api.log(id));
      if (!m) throw new Error(`bench build ${id}: no approval in its log`);
      approvals.push(Number(m[1]));
    }
    approvals.sort((a, b) => a - b);
    jobs.sort((a, b) => a - b);
    return {
      "approval via sidecar (result → approval logged) p50 ms": percentile(approvals, 50),
      "approval via sidecar (result → approval logged) p95 ms": percentile(approvals, 95),
      "compile job via sidecar, stand-in build (request → succeeded) p50 ms": Math.round(percentile(jobs, 50)),
    };
  } finally {
    await worker?.stop();
    await sc.stop();
  }
}
