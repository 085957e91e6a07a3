// GET /api/v1/metrics scraped from a real sidecar while a real worker process builds: the queue,
// slots and demand move with the build, durations and dispatch latency land once it ends, and only
// the admin token or the read-only metrics token may read it (the metrics token nothing else).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  runCli,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

const METRICS_TOKEN = "metrics-reader-0123456789abcdefghijklmnop";
let sc: SidecarProc;
let worker: ProcHandle;
let api: Api;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "slow", standin: ["sleep-ms=2500"] }, { id: "quick" }]);
  const file = join(dataDir, "metrics-token");
  writeFileSync(file, `${METRICS_TOKEN}\n`, { mode: 0o600 });
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--metrics-token-file", file] });
  api = new Api(sc.url, sc.token);
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "scraped" });
  worker = startWorker({ url: sc.url, token: secret, name: "remote-1", slots: 1 });
});
afterAll(async () => {
  await worker?.stop();
  await sc?.stop();
});

async function scrape(token = sc.token): Promise<Map<string, number>> {
  const res = await fetch(`${sc.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe("metrics during a build", () => {
  it("shows the running build, busy slot and demand, then its duration and dispatch latency", async () => {
    await waitFor(async () => (await scrape()).get('forge_workers_online{kind="remote"}') === 1, "the worker online");
    const before = await scrape();
    expect(before.get('forge_slots_total{kind="remote"}')).toBe(1);
    expect(before.get("forge_queue_demand")).toBe(0);

    const created = await api.createJobs({
      action: "compile",
      targets: { devices: ["slow", "quick"] },
      priority: "bulk",
    });
    const during = await waitFor(async () => {
      const s = await scrape(METRICS_TOKEN);
      return s.get("forge_jobs_running") === 1 ? s : null;
    }, "the build running");
    // One slot: one job runs, the other waits; both are demand for slots.
    expect(during.get('forge_slots_busy{kind="remote"}')).toBe(1);
    expect(during.get('forge_queue_jobs{state="queued",priority="bulk"}')).toBe(1);
    expect(during.get('forge_queue_jobs{state="running",priority="bulk"}')).toBe(1);
    expect(during.get("forge_queue_demand")).toBe(2);

    for (const j of created.jobs)
      await waitFor(async () => (await api.job(j.jobId)).state === "succeeded", `job ${j.jobId}`, 60_000);
    const after = await scrape();
    expect(after.get("forge_queue_demand")).toBe(0);
    expect(after.get('forge_slots_busy{kind="remote"}')).toBe(0);
    expect(after.get('forge_jobs_finished_total{action="compile",state="succeeded"}')).toBe(2);
    expect(after.get('forge_job_duration_seconds_count{action="compile",state="succeeded"}')).toBe(2);
    // The slow build ran at least its 2.5 s sleep.
    expect(after.get('forge_job_duration_seconds_sum{action="compile",state="succeeded"}')).toBeGreaterThan(2.5);
    expect(after.get('forge_dispatch_latency_seconds_count{action="compile"}')).toBe(2);
    // The second job waited for the first one's slot.
    expect(after.get('forge_dispatch_latency_seconds_sum{action="compile"}')).toBeGreaterThan(2);
    const decided = ["allowed", "warned", "blocked"].reduce(
      (n, o) => n + (after.get(`forge_trust_decisions_total{outcome="${o}",stage="approval"}`) ?? 0),
      0,
    );
    expect(decided).toBe(2);
    expect(after.get("forge_trust_log_audit_ok")).toBe(1);
    expect(after.get("forge_devices")).toBe(2);
  });
});

describe("who may read metrics", () => {
  it("refuses no token and a wrong one; the metrics token reads metrics and nothing else", async () => {
    expect((await fetch(`${sc.url}/api/v1/metrics`)).status).toBe(401);
    const wrong = await fetch(`${sc.url}/api/v1/metrics`, { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    for (const path of ["/info", "/jobs", "/settings"]) {
      const res = await fetch(`${sc.url}/api/v1${path}`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status, path).toBe(401);
    }
  });

  it("will not start with a metrics token that is the admin token, or a short one", async () => {
    const dataDir = tempDir();
    const admin = "admin-token-0123456789abcdefghijklmnopq";
    const same = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--admin-token", admin], {
      FORGE_METRICS_TOKEN: admin,
      FORGE_ZEROCONF: "off",
    });
    expect(same.code).toBe(1);
    expect(same.out).toContain("the metrics token from FORGE_METRICS_TOKEN is the admin token");
    const short = await runCli(["serve", "--data-dir", dataDir, "--port", "0"], {
      FORGE_METRICS_TOKEN: "short",
      FORGE_ZEROCONF: "off",
    });
    expect(short.code).toBe(1);
    expect(short.out).toMatch(/metrics token from FORGE_METRICS_TOKEN is 5 characters/);
  });
});
