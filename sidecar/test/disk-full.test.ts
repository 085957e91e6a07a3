// A full disk is a state, not a crash. The sidecar's data folder lives on a small real file system
// (tmpfs, or an ext4 loop device); it is filled to the last byte while a build streams output. The
// sidecar keeps running, serves reads and events, refuses new jobs (507 disk_full), keeps its health
// flag up across a kill -9 and a restart while still full, and resumes by itself once space is freed:
// the build finishes with every line of its output exactly once. (Before: the sidecar crashed 0.9 s
// after the disk filled and refused to start while it stayed full.)
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFlasher } from "../test-support/fleet-jobs.js";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody, HealthResponse, InfoResponse } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  freePort,
  startSidecar,
  startWorker,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { mountSmallFs, type SmallFs } from "../test-support/small-filesystem.js";

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const ADMIN = "disk-full-test-admin-token-0123456789";
/** The stand-in's extra output line (standin-esphome.mjs, `log-bytes`). */
const VERBOSE_LINE =
  "\x1b[36m[standin]\x1b[0m verbose build output line with ünïcödé ✓ and colour, padding padding padding\n";
const LOG_BYTES = 400_000;

async function boot(dataDir: string, port: number): Promise<{ sc: SidecarProc; api: Api }> {
  const sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--port", String(port), "--lease-ms", "3000", "--admin-token", ADMIN],
    // Only a failed write (SQLite's "disk is full", ENOSPC) counts, exactly the crash of the report.
    // The build floor (a separate guard, tested in worker-gates.test.ts) would refuse every build on 32 MiB.
    env: { FORGE_DISK_RESERVE_MB: "0", FORGE_BUILD_MIN_FREE_DISK_MB: "0" },
  });
  cleanup.push(() => sc.stop("SIGKILL"));
  return { sc, api: new Api(sc.url, sc.token) };
}

const health = async (sc: SidecarProc) => HealthResponse.parse(await (await fetch(`${sc.url}/api/v1/health`)).json());

describe("a full disk", () => {
  it("is a state: the sidecar survives, refuses new work, restarts while full, and resumes by itself", async (ctx) => {
    const fs = mountSmallFs(32);
    if ("unavailable" in fs) return ctx.skip(fs.unavailable);
    cleanup.push(() => (fs as SmallFs).unmount());
    const dataDir = join(fs.dir, "data");
    writeFleet(join(dataDir, "config"), [
      { id: "chatty", standin: [`log-bytes=${LOG_BYTES}`, "sleep-ms=4000"] },
      { id: "later" },
    ]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    // The worker's own folder is elsewhere: only the sidecar's disk fills up.
    const worker: ProcHandle = startWorker({ url: sc.url, token: secret, name: "remote", slots: 1 });
    cleanup.push(() => worker.stop("SIGKILL"));

    const id = (await api.createJobs({ action: "compile", targets: { devices: ["chatty"] } })).jobs[0]!.jobId;
    await waitFor(async () => (await api.job(id)).phase === "compile", "the build streaming output");
    // Queued behind it (one slot): it must wait out the outage and run afterwards.
    const queued = (await api.createJobs({ action: "compile", targets: { devices: ["later"] } })).jobs[0]!.jobId;
    expect((await api.job(queued)).state).toBe("queued");
    expect(fs.fill()).toBeGreaterThan(0);

    const full = await waitFor(
      async () => (await health(sc)).problems.find((p) => p.code === "disk_full"),
      "disk_full",
    );
    expect(full.message).toMatch(/out of disk space/);
    expect(sc.proc.exitCode).toBeNull();

    // New work is refused with the reason; reads and the events stream go on.
    const refused = await api.raw("POST", "/jobs", { action: "validate", targets: { devices: ["later"] } });
    expect(refused.status).toBe(507);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(ErrorBody.parse(await refused.json()).error.code).toBe("disk_full");
    expect((await api.job(id)).state).toBe("running");
    const info = InfoResponse.parse(await api.json("GET", "/info"));
    expect(info.problems.map((p) => p.code)).toEqual(["disk_full"]);
    // Monitoring sees it too (a read: the metrics answer while full).
    const diskFullMetric = async () =>
      /^forge_data_disk_full (\d)$/m.exec(await (await api.raw("GET", "/metrics")).text())?.[1];
    expect(await diskFullMetric()).toBe("1");
    const events = new EventsClient(sc.url, sc.token);
    cleanup.push(() => events.close());
    await waitFor(() => events.of("snapshot").length > 0, "an events snapshot while the disk is full");
    events.close();

    // kill -9 while full, and a start on the still-full disk: it comes up, flag raised, archive tidied.
    const leftover = join(dataDir, "firmware", "ab", `${"ab".repeat(32)}.4242.deadbeef.tmp`);
    sc.proc.kill("SIGKILL");
    await sc.exited;
    fs.free();
    mkdirSync(join(dataDir, "firmware", "ab"), { recursive: true });
    writeFileSync(leftover, "half a firmware image");
    fs.fill();
    ({ sc, api } = await boot(dataDir, port));
    expect(existsSync(leftover)).toBe(false);
    await waitFor(
      async () => (await health(sc)).problems.some((p) => p.code === "disk_full"),
      "disk_full after restart",
    );
    expect((await api.raw("POST", "/jobs", { action: "validate", targets: { devices: ["later"] } })).status).toBe(507);
    await new Promise((r) => setTimeout(r, 4000)); // longer than a lease: nothing may lapse while full
    expect((await api.job(id)).state).toBe("running");
    expect(sc.proc.exitCode).toBeNull();

    fs.free();
    await waitFor(async () => (await health(sc)).problems.length === 0, "the sidecar to resume by itself", 30_000);
    expect(await diskFullMetric()).toBe("0");
    const done = await waitFor(
      async () => {
        const j = await api.job(id);
        return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
      },
      "the build to finish",
      60_000,
    );
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(1); // continued across the outage and the restart, not rerun
    const log = await api.log(id);
    const verbose = log.split(VERBOSE_LINE).length - 1;
    expect(verbose).toBe(Math.ceil(LOG_BYTES / Buffer.byteLength(VERBOSE_LINE)));
    const steps = [...log.matchAll(/\[(\d+)\/20\]/g)].map((m) => Number(m[1]));
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log).not.toMatch(/never arrived/);

    // The queued job runs, and new work is taken again.
    await waitFor(async () => (await api.job(queued)).state === "succeeded", "the queued job", 30_000);
    const next = (await api.createJobs({ action: "validate", targets: { devices: ["later"] } })).jobs[0]!.jobId;
    await waitFor(async () => (await api.job(next)).state === "succeeded", "a new job after the outage", 30_000);
  });

  it("holds a build that ends while full: nothing is approved or flashed before its output, result and intent are on record", async (ctx) => {
    const fs = mountSmallFs(32);
    if ("unavailable" in fs) return ctx.skip(fs.unavailable);
    cleanup.push(() => (fs as SmallFs).unmount());
    const dataDir = join(fs.dir, "data");
    // A compile that logs a step every 0.2 s: a log write fails soon after the disk fills, before the flash.
    writeFleet(join(dataDir, "config"), [{ id: "porch", standin: ["sleep-ms=4000"] }]);
    const { sc, api } = await boot(dataDir, await freePort());
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    const worker: ProcHandle = startWorker({ url: sc.url, token: secret, name: "remote", slots: 1 });
    cleanup.push(() => worker.stop("SIGKILL"));
    const flasher = await startFlasher(api, sc.url); // a builder never flashes
    cleanup.push(() => flasher.stop("SIGKILL"));

    const id = (await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    await waitFor(async () => (await api.job(id)).phase === "compile", "the compile running");
    fs.fill();
    await waitFor(async () => (await health(sc)).problems.some((p) => p.code === "disk_full"), "disk_full");
    // The compile ends on the worker while the sidecar's disk is full. Its output is answered "send it again
    // later" and the result (which approves the build, before any flash) waits behind it, on the worker.
    await waitFor(() => new RegExp(`job ${id}: succeeded in `).test(worker.output()), "the build to end on the worker");
    const job = await api.job(id);
    expect(job).toMatchObject({ state: "running", step: "build", trust: null, flashSha256: null });
    const held = await api.log(id);
    expect(held).not.toMatch(/build approved|recorded before it starts/);
    expect(held).not.toMatch(/\[20\/20\]/); // the end of its output is still on the worker
    expect(flashEntries(dataDir, id)).toEqual([]);

    fs.free();
    await waitFor(async () => (await health(sc)).problems.length === 0, "the sidecar to resume by itself", 30_000);
    const done = await waitFor(
      async () => {
        const j = await api.job(id);
        return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
      },
      "the flash to finish",
      60_000,
    );
    expect(done.state, await api.log(id)).toBe("succeeded");
    expect(done.attempts).toBe(1);
    const log = await api.log(id);
    // Every line of the build's output exactly once, then one approval, one intent, one flash.
    const steps = [...log.matchAll(/\[(\d+)\/20\]/g)].map((m) => Number(m[1]));
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log.match(/content trust: build approved/g)).toHaveLength(1);
    expect(log.match(/recorded before it starts \(attempt 1/g)).toHaveLength(1);
    expect(log.indexOf("content trust: build approved")).toBeLessThan(log.indexOf("recorded before it starts"));
    expect(flashEntries(dataDir, id)).toEqual(["ota_intent", "ota"]);
  });
});

/** The kinds of the trust log's flash entries for a job, read from the database beside the running sidecar. */
function flashEntries(dataDir: string, jobId: number): string[] {
  const db = new Database(join(dataDir, "forge.db"), { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT CAST(body AS TEXT) AS body FROM trust_log_leaves WHERE kind IN ('ota_intent', 'ota', 'ota_failed') ORDER BY idx",
      )
      .all() as { body: string }[];
    return rows
      .map((r) => JSON.parse(r.body) as { kind: string; jobId: number })
      .filter((e) => e.jobId === jobId)
      .map((e) => e.kind);
  } finally {
    db.close();
  }
}
