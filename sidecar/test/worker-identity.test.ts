// A worker id is bound to the token that created it and to its enrolled signing key. Real sidecar,
// real worker processes; the impostors are a protocol-faithful fake worker and a real worker process
// started from a copy of the victim's state folder.
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerCloseCode, type Job, type Worker } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
let good: WorkerProc;
let goodToken: { token: { id: string }; secret: string };
let goodId = "";
const stops: { stop(): unknown }[] = [];

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "long", standin: ["sleep-ms=3000"] },
    { id: "pinned" },
    { id: "pool-job" },
    { id: "after" },
  ]);
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--lease-ms", "2000"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  goodToken = await newToken("good");
  good = realWorker("good", goodToken.secret, { slots: 2 });
  goodId = (await online("good")).id;
});
afterAll(async () => {
  for (const s of stops) await s.stop();
  await sc?.stop();
});

const newToken = (name: string) =>
  api.json<{ token: { id: string }; secret: string }>("POST", "/worker-tokens", { name });

function realWorker(name: string, token: string, opts: { stateDir?: string; slots?: number; tags?: string[] } = {}) {
  const w = startWorker({ url: sc.url, token, name, ...opts });
  stops.push(w);
  return w;
}

const workers = async () => (await api.json<{ workers: Worker[] }>("GET", "/workers")).workers;
const online = (name: string) =>
  waitFor(async () => (await workers()).find((w) => w.name === name && w.online), `${name} online`);

async function impostor(opts: { announceKey?: string | null; workerId?: string }) {
  const { secret } = await newToken("mallory");
  const fake = new FakeWorker({
    url: sc.url,
    token: secret,
    workerId: opts.workerId ?? goodId,
    enrolKey: generateSigningKey(),
    announceKey: opts.announceKey,
  });
  stops.push({ stop: () => fake.close() });
  return fake;
}

/** The impostor is turned away with a reason, and the real worker keeps its one connection and its job. */
async function expectRefused(fake: FakeWorker, why: RegExp, jobId: number, connectedAt: string | null) {
  const closed = await fake.closed;
  expect(closed.code).toBe(WorkerCloseCode.unauthorized);
  expect(
    fake
      .of("error")
      .map((e) => e.message)
      .join("\n"),
  ).toMatch(why);
  expect(fake.of("welcome")).toEqual([]);
  const me = (await workers()).find((w) => w.id === goodId)!;
  expect(me).toMatchObject({ online: true, name: "good", connectedAt });
  const job = await settledJob(api, jobId);
  expect(job.state, job.error ?? "").toBe("succeeded");
  expect(job.workerId).toBe(goodId);
  expect(job.attempts).toBe(1);
}

async function longJob(): Promise<number> {
  const id = (await api.createJobs({ action: "compile", targets: { devices: ["long"] }, params: { workerId: goodId } }))
    .jobs[0]!.jobId;
  await waitFor(async () => (await api.job(id)).phase === "compile", "the long job to run");
  return id;
}

describe("a worker id belongs to its token and its key", () => {
  it("a hello under an existing worker id with no signing key is refused; jobs pinned to the worker never reach it", async () => {
    const jobId = await longJob();
    const { connectedAt } = (await workers()).find((w) => w.id === goodId)!;
    const fake = await impostor({ announceKey: null });
    const closed = await fake.closed;
    expect([WorkerCloseCode.unauthorized, WorkerCloseCode.invalidMessage]).toContain(closed.code);
    expect(
      fake
        .of("error")
        .map((e) => e.message)
        .join("\n"),
    ).toMatch(/signing key/);
    expect(fake.of("welcome")).toEqual([]);
    // A job pinned to the worker (its bundle carries the device's secrets) goes to the real one only.
    const pinned = (
      await api.createJobs({ action: "compile", targets: { devices: ["pinned"] }, params: { workerId: goodId } })
    ).jobs[0]!.jobId;
    const p = await settledJob(api, pinned);
    expect(p.state).toBe("succeeded");
    expect(fake.of("assign")).toEqual([]);
    const job = await settledJob(api, jobId);
    expect(job).toMatchObject({ state: "succeeded", workerId: goodId, attempts: 1 });
    expect((await workers()).find((w) => w.id === goodId)).toMatchObject({ online: true, connectedAt });
    expect(good.output()).not.toMatch(/replaced this one/);
  });

  it("presenting the enrolled public key without its private key is refused", async () => {
    const jobId = await longJob();
    const { connectedAt } = (await workers()).find((w) => w.id === goodId)!;
    const keys = (await api.json<{ keys: { role: string; owner: string; publicKey: string }[] }>("GET", "/trust/keys"))
      .keys;
    const enrolled = keys.find((k) => k.role === "worker" && k.owner === goodId)!.publicKey;
    const fake = await impostor({ announceKey: enrolled });
    await expectRefused(fake, /could not prove|proof/, jobId, connectedAt);
  });

  it("another token cannot claim the worker's id, even with a copy of its state folder and key", async () => {
    const jobId = await longJob();
    const { connectedAt } = (await workers()).find((w) => w.id === goodId)!;
    const stateDir = tempDir("forge-stolen-");
    cpSync(good.stateDir, stateDir, { recursive: true });
    rmSync(join(stateDir, "builds"), { recursive: true, force: true });
    const other = await newToken("thief");
    const thief = realWorker("thief", other.secret, { stateDir });
    const code = await Promise.race([thief.exited, new Promise((r) => setTimeout(() => r("still running"), 15_000))]);
    expect(code).not.toBe("still running"); // refused for good: retrying cannot fix it
    expect(thief.output()).toMatch(new RegExp(`worker ${goodId} belongs to another worker token`));
    expect(sc.output()).toMatch(new RegExp(`worker ${goodId} refused: .*belongs to another worker token`));
    const me = (await workers()).find((w) => w.id === goodId)!;
    expect(me).toMatchObject({ online: true, name: "good", connectedAt });
    const job = await settledJob(api, jobId);
    expect(job).toMatchObject({ state: "succeeded", workerId: goodId, attempts: 1 });
  });

  it("after its token is revoked, the same worker comes back under its id with a new token by proving its key", async () => {
    await api.json("DELETE", `/worker-tokens/${goodToken.token.id}`);
    await good.exited;
    goodToken = await newToken("good-2");
    good = realWorker("good", goodToken.secret, { stateDir: good.stateDir, slots: 2 });
    expect((await online("good")).id).toBe(goodId);
    const id = (
      await api.createJobs({ action: "compile", targets: { devices: ["after"] }, params: { workerId: goodId } })
    ).jobs[0]!.jobId;
    expect((await settledJob(api, id)).state).toBe("succeeded");
  });
});

describe("worker tags", () => {
  it("an admin can lock a worker's tags: its hello can no longer change them", async () => {
    const { secret } = await newToken("tagged");
    let tagged = realWorker("tagged", secret, { tags: ["esp32"] });
    const { id } = await online("tagged");
    const locked = await api.json<Worker & { tagsLocked: boolean }>("PATCH", `/workers/${id}`, { tagsLocked: true });
    expect(locked).toMatchObject({ tags: ["esp32"], tagsLocked: true });

    // The same worker restarts declaring a tag that would route other jobs to it.
    await tagged.stop();
    tagged = realWorker("tagged", secret, { stateDir: tagged.stateDir, tags: ["esp32", "secret-pool"] });
    await waitFor(async () => (await workers()).find((w) => w.id === id && w.online), "tagged back online");
    expect((await workers()).find((w) => w.id === id)).toMatchObject({ tags: ["esp32"], tagsLocked: true });
    const job = (
      await api.createJobs({
        action: "compile",
        targets: { devices: ["pool-job"] },
        params: { workerTags: ["secret-pool"] },
      })
    ).jobs[0]!.jobId;
    // No online worker may take it: it waits, blocked, and the reason shows the locked tags, not the hello's.
    const blocked = await waitFor(async () => {
      const j = await api.job(job);
      return j.state === "blocked" ? j : null;
    }, "the pool job blocked");
    expect(blocked.blockedReason).toMatch(/^needs a worker with tag secret-pool; online workers: /);
    expect(blocked.blockedReason).toContain(`tagged (${id}) [esp32]`);
    expect(blocked.workerId).toBeNull();

    // Unlocked, the worker's own tags count again.
    const unlocked = await api.json<Worker & { tagsLocked: boolean }>("PATCH", `/workers/${id}`, { tagsLocked: false });
    expect(unlocked).toMatchObject({ tags: ["esp32", "secret-pool"], tagsLocked: false });
    const done: Job = await settledJob(api, job);
    expect(done).toMatchObject({ state: "succeeded", workerId: id });
  });
});
