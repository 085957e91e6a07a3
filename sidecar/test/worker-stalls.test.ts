// Workers that stall, crash or come back, with real worker processes: a worker frozen past its lease
// (SIGSTOP/SIGCONT), one killed mid-build and restarted at once, one whose slot count the sidecar got
// wrong. No slot stays stuck, no attempt is burnt on the sidecar's own mistake, and a job that lost
// its worker is retried elsewhere first.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Job, Worker, WorkerToken } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet, type DeviceSpec } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";

const cleanup: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c.stop();
  cleanup.length = 0;
});

interface Fleet {
  sc: SidecarProc;
  api: Api;
  worker(
    name: string,
    opts?: { slots?: number; stateDir?: string; token?: string },
  ): Promise<WorkerProc & { id: string; token: string }>;
  workers(): Promise<Worker[]>;
  compile(device: string, params?: Record<string, unknown>): Promise<number>;
}

async function fleet(devices: DeviceSpec[], args: string[] = [], dataDir = tempDir()): Promise<Fleet> {
  writeFleet(join(dataDir, "config"), devices);
  const sc = await startSidecar({ dataDir, args: ["--no-seed", "--lease-ms", "2000", ...args], localSlots: 0 });
  cleanup.push(sc);
  const api = new Api(sc.url, sc.token);
  const workers = async () => (await api.json<{ workers: Worker[] }>("GET", "/workers")).workers;
  return {
    sc,
    api,
    workers,
    async worker(name, opts = {}) {
      const token = opts.token ?? (await api.json<{ secret: string }>("POST", "/worker-tokens", { name })).secret;
      const w = startWorker({ url: sc.url, token, name, slots: opts.slots ?? 1, stateDir: opts.stateDir });
      cleanup.push({ stop: () => w.stop("SIGKILL") });
      const { id } = await waitFor(
        async () => (await workers()).find((x) => x.name === name && x.online),
        `${name} online`,
      );
      return Object.assign(w, { id, token });
    },
    async compile(device, params = {}) {
      return (await api.createJobs({ action: "compile", targets: { devices: [device] }, params })).jobs[0]!.jobId;
    },
  };
}

const isOnline = async (f: Fleet, id: string) => (await f.workers()).find((w) => w.id === id)?.online ?? false;

describe("a worker frozen past its lease", () => {
  it("is detected as lost while silent, and comes back with no stuck slot: later jobs run first time", async () => {
    const f = await fleet([{ id: "frozen", standin: ["sleep-ms=3000"] }, ...["n1", "n2", "n3"].map((id) => ({ id }))]);
    const w = await f.worker("w");
    const id = (await f.api.createJobs({ action: "compile", targets: { devices: ["frozen"] }, params: {} })).jobs[0]!
      .jobId;
    await waitFor(async () => (await f.api.job(id)).phase === "compile", "the build to run");
    w.proc.kill("SIGSTOP");
    try {
      // Socket open, no heartbeats: the sidecar counts it as lost and sends it nothing more.
      await waitFor(async () => !(await isOnline(f, w.id)), "the silent worker to be marked offline", 15_000);
      await waitFor(async () => (await f.api.job(id)).state === "queued", "its job back in the queue", 15_000);
    } finally {
      w.proc.kill("SIGCONT");
    }
    // Back: it drops the job it no longer holds and takes the requeued one afresh.
    const first = await settledJob(f.api, id, 60_000);
    expect(first.state, first.error ?? "").toBe("succeeded");
    expect(first.attempts).toBe(2);
    const later = await Promise.all(["n1", "n2", "n3"].map((d) => f.compile(d)));
    for (const j of later) {
      const done = await settledJob(f.api, j);
      expect(done.state, done.error ?? "").toBe("succeeded");
      expect(done.attempts).toBe(1);
    }
    expect(w.output()).not.toMatch(/no free slot/);
  });
});

describe("a job that lost its worker", () => {
  it("is retried on another worker first, not on the one that crashed and came back with a half-built folder", async () => {
    const f = await fleet([{ id: "warm", standin: ["sleep-ms=2500"] }]);
    const a = await f.worker("a");
    const b = await f.worker("b");
    // A completed build makes `a` the warm worker for the device.
    const seed = await settledJob(f.api, await f.compile("warm", { workerId: a.id }));
    expect(seed.state).toBe("succeeded");
    const id = await f.compile("warm");
    await waitFor(async () => (await f.api.job(id)).phase === "compile", "the rebuild to run");
    expect((await f.api.job(id)).workerId).toBe(a.id);
    // `a` crashes mid-build and is restarted at once from the same state folder.
    a.proc.kill("SIGKILL");
    await a.exited;
    const again = await f.worker("a", { stateDir: a.stateDir, token: a.token });
    expect(again.id).toBe(a.id);
    const job: Job = await settledJob(f.api, id, 30_000);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.workerId).toBe(b.id);
    expect(job.attempts).toBe(2);
    expect(job.dispatchReason).toMatch(new RegExp(`${a.id} lost this job`));
  });
});

describe("a worker that hangs mid-build", () => {
  it("loses the job to another worker: the retry does not wait on the frozen one", async () => {
    const f = await fleet([{ id: "stuck", standin: ["sleep-ms=4000"] }]);
    const a = await f.worker("a");
    const b = await f.worker("b");
    expect((await settledJob(f.api, await f.compile("stuck", { workerId: a.id }))).state).toBe("succeeded");
    const id = await f.compile("stuck");
    await waitFor(async () => (await f.api.job(id)).phase === "compile", "the rebuild to run");
    expect((await f.api.job(id)).workerId).toBe(a.id); // affinity
    a.proc.kill("SIGSTOP");
    try {
      const job = await settledJob(f.api, id, 40_000);
      expect(job.state, job.error ?? "").toBe("succeeded");
      expect(job.workerId).toBe(b.id);
      expect(job.attempts).toBe(2);
      expect(await f.api.log(id)).toMatch(/lease expired on worker/);
    } finally {
      a.proc.kill("SIGCONT");
    }
    // Woken up, it reconnects, drops the job it no longer holds, and takes new work.
    await waitFor(async () => isOnline(f, a.id), "the frozen worker back online");
    const next = await settledJob(f.api, await f.compile("stuck", { workerId: a.id }));
    expect(next.state, next.error ?? "").toBe("succeeded");
    expect(next.attempts).toBe(1);
  });
});

describe("a worker that has no free slot", () => {
  it("hands the job back without using an attempt, and it runs on another worker", async () => {
    const f = await fleet([{ id: "bounce" }]);
    const b = await f.worker("b");
    // A worker the sidecar believes has room (4 slots, none busy), which says it has none.
    const { secret } = await f.api.json<{ secret: string }>("POST", "/worker-tokens", { name: "full" });
    const full = new FakeWorker({
      url: f.sc.url,
      token: secret,
      workerId: "full",
      enrolKey: generateSigningKey(),
      slots: 4,
      autoStart: false,
    });
    cleanup.push({ stop: () => full.close() });
    await full.welcomed;
    full.onAssign = (a) =>
      full.send({ type: "release", jobId: a.jobId, fence: a.fence, reason: "no free slot (1 of 1 busy)" });
    const id = await f.compile("bounce");
    const job = await settledJob(f.api, id);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.workerId).toBe(b.id);
    expect(job.attempts).toBe(1);
    expect(full.of("assign")).toHaveLength(1);
    expect(await f.api.log(id)).toMatch(/no free slot/);
  });
});

describe("build slots set through the API", () => {
  it("the built-in worker keeps its stored slot count across a sidecar restart", async () => {
    const dataDir = tempDir();
    const devices = [
      { id: "s1", standin: ["sleep-ms=2500"] },
      { id: "s2", standin: ["sleep-ms=2500"] },
    ];
    writeFleet(join(dataDir, "config"), devices);
    const start = async () => {
      const sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 1 });
      const api = new Api(sc.url, sc.token);
      const local = await waitFor(
        async () => (await api.json<{ workers: Worker[] }>("GET", "/workers")).workers.find((w) => w.local && w.online),
        "the local worker online",
      );
      return { sc, api, local };
    };
    const first = await start();
    await first.api.json("PATCH", `/workers/${first.local.id}`, { slots: 2 });
    await first.sc.stop();

    const second = await start();
    cleanup.push(second.sc);
    expect(second.local.slots).toBe(2);
    const ids = (
      await second.api.createJobs({ action: "compile", targets: { devices: ["s1", "s2"] }, params: {} })
    ).jobs.map((j) => j.jobId);
    // Both run at once on the local worker: it really has the two slots the sidecar counts.
    await waitFor(
      async () => (await Promise.all(ids.map((i) => second.api.job(i)))).every((j) => j.phase === "compile"),
      "both jobs building at once",
    );
    for (const i of ids) {
      const j = await settledJob(second.api, i);
      expect(j.state, j.error ?? "").toBe("succeeded");
      expect(j.attempts).toBe(1);
    }
    expect(second.sc.output()).not.toMatch(/no free slot/);

    // Its token file lost: the local worker gets a new token (the old one is revoked) and keeps its id.
    await second.sc.stop();
    rmSync(join(dataDir, "local-worker.token"));
    const third = await start();
    cleanup.push(third.sc);
    expect(third.local).toMatchObject({ id: first.local.id, slots: 2 });
    const tokens = (await third.api.json<{ tokens: WorkerToken[] }>("GET", "/worker-tokens")).tokens;
    expect(tokens.filter((t) => t.name === "built-in local worker").map((t) => t.revokedAt === null)).toEqual([
      false,
      true,
    ]);
  });

  it("a remote worker is told its stored slot count again when it reconnects", async () => {
    const f = await fleet([
      { id: "r1", standin: ["sleep-ms=2500"] },
      { id: "r2", standin: ["sleep-ms=2500"] },
    ]);
    const w = await f.worker("remote", { slots: 1 });
    await f.api.json("PATCH", `/workers/${w.id}`, { slots: 2 });
    await w.stop();
    await f.worker("remote", { slots: 1, stateDir: w.stateDir, token: w.token });
    const ids = [await f.compile("r1"), await f.compile("r2")];
    await waitFor(
      async () => (await Promise.all(ids.map((i) => f.api.job(i)))).every((j) => j.phase === "compile"),
      "both jobs building at once",
    );
    for (const i of ids) {
      const j = await settledJob(f.api, i);
      expect(j.state, j.error ?? "").toBe("succeeded");
      expect(j.attempts).toBe(1);
    }
  });
});
