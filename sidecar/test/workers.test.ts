// The worker protocol against a real sidecar: version and token checks, two real worker
// processes, a worker killed mid-build (its job is requeued and finished by the other).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WORKER_PROTOCOL_VERSION, WorkerCloseCode, type Job } from "@esphome-forge/shared";
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

let sc: SidecarProc;
let api: Api;
const workers: ProcHandle[] = [];

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "lamp" }, { id: "long", standin: ["sleep-ms=4000"] }, { id: "fan" }]);
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--lease-ms", "2000"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await sc?.stop();
});

const newToken = async (name: string) =>
  await api.json<{ token: { id: string }; secret: string }>("POST", "/worker-tokens", { name });

function rawHello(
  token: string,
  protocolVersion: number,
): Promise<{ code: number; reason: string; messages: string[]; httpStatus?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${sc.url.replace("http", "ws")}/api/v1/worker`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const messages: string[] = [];
    ws.on("open", () =>
      ws.send(
        JSON.stringify({
          type: "hello",
          protocolVersion,
          workerId: "raw",
          name: "raw",
          version: "0",
          slots: 1,
          tags: [],
          platform: "linux-x64",
          system: { hostname: "h", os: "linux", arch: "x64", cpus: 1, memoryBytes: 1, nodeVersion: "22" },
        }),
      ),
    );
    ws.on("message", (d) => messages.push(d.toString()));
    // A bad token is refused at the upgrade, with plain HTTP: no socket ever opens.
    ws.on("unexpected-response", (_req, res) => {
      resolve({ code: 0, reason: "", messages, httpStatus: res.statusCode });
      ws.terminate();
    });
    ws.on("error", () => undefined);
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), messages }));
  });
}

describe("connecting", () => {
  it("refuses a protocol version mismatch, naming both versions", async () => {
    const { secret } = await newToken("mismatch");
    const r = await rawHello(secret, 99);
    expect(r.code).toBe(WorkerCloseCode.protocolMismatch);
    expect(r.messages.join()).toContain("99");
    expect(r.messages.join()).toContain(`version ${WORKER_PROTOCOL_VERSION}`);
  });

  it("refuses a bad token and a revoked one; revoking disconnects a live worker", async () => {
    expect((await rawHello("efw_000000000000_" + "A".repeat(43), WORKER_PROTOCOL_VERSION)).httpStatus).toBe(401);
    expect((await rawHello("garbage", WORKER_PROTOCOL_VERSION)).httpStatus).toBe(401);
    const { token, secret } = await newToken("to-revoke");
    const w = startWorker({ url: sc.url, token: secret, name: "to-revoke" });
    workers.push(w);
    await waitFor(
      async () =>
        (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
          (x) => x.name === "to-revoke" && x.online,
        ),
      "worker online",
    );
    await api.json("DELETE", `/worker-tokens/${token.id}`);
    // The worker is told it is unauthorized and exits instead of retrying forever.
    const code = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r("still running"), 10_000))]);
    expect(code).not.toBe("still running");
    expect(code).not.toBe(0);
    expect(w.output()).toMatch(/revoked|unauthori/i);
  });

  it("accepts a well-formed hello and reports the worker with its system info", async () => {
    const { secret } = await newToken("info");
    const w = startWorker({ url: sc.url, token: secret, name: "info", slots: 3, tags: ["esp32", "fast"] });
    workers.push(w);
    const info = await waitFor(
      async () =>
        (
          await api.json<{
            workers: {
              name: string;
              online: boolean;
              slots: number;
              tags: string[];
              system: { cpus: number } | null;
            }[];
          }>("GET", "/workers")
        ).workers.find((x) => x.name === "info" && x.online),
      "worker online",
    );
    expect(info.slots).toBe(3);
    expect(info.tags).toEqual(["esp32", "fast"]);
    expect(info.system?.cpus).toBeGreaterThan(0);
    await w.stop("SIGKILL");
  });
});

describe("a worker dies mid-build", () => {
  it("its job returns to the queue when the lease lapses and another worker finishes it", async () => {
    const a = await newToken("first");
    const first = startWorker({ url: sc.url, token: a.secret, name: "first", tags: ["pool"] });
    workers.push(first);
    await waitFor(
      async () =>
        (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
          (x) => x.name === "first" && x.online,
        ),
      "first online",
    );
    const r = await api.createJobs({
      action: "compile",
      targets: { devices: ["long"] },
      params: { workerTags: ["pool"] },
    });
    const id = r.jobs[0]!.jobId;
    await waitFor(async () => (await api.job(id)).state === "running", "job running");
    first.proc.kill("SIGKILL");
    const b = await newToken("second");
    workers.push(startWorker({ url: sc.url, token: b.secret, name: "second", tags: ["pool"] }));
    const done = await waitFor(
      async () => {
        const j = await api.job(id);
        return j.state === "succeeded" ? j : null;
      },
      "job finished by the second worker",
      40_000,
    );
    expect(done.attempts).toBe(2);
    const workersList = await api.json<{ workers: { id: string; name: string }[] }>("GET", "/workers");
    expect(done.workerId).toBe(workersList.workers.find((x) => x.name === "second")!.id);
    expect(await api.log(id)).toMatch(/lease/i);
  });

  it("a repeat build goes to the worker holding the warm cache, not the tie-break winner", async () => {
    const c = await newToken("third");
    workers.push(startWorker({ url: sc.url, token: c.secret, name: "third", tags: ["pool"] }));
    type W = { id: string; name: string; online: boolean };
    const online = await waitFor(async () => {
      const ws = (await api.json<{ workers: W[] }>("GET", "/workers")).workers.filter(
        (w) => w.online && ["second", "third"].includes(w.name),
      );
      return ws.length === 2 ? ws : null;
    }, "two pool workers online");
    // Build once on the worker that would lose a least-loaded tie-break (ids sort), then rebuild unpinned.
    const warm = online
      .map((w) => w.id)
      .sort()
      .at(-1)!;
    const first = (
      await api.createJobs({ action: "compile", targets: { devices: ["fan"] }, params: { workerId: warm } })
    ).jobs[0]!;
    const j1 = await waitFor(
      async () => ((await api.job(first.jobId)).state === "succeeded" ? api.job(first.jobId) : null),
      "first build",
    );
    expect(j1.workerId).toBe(warm);
    const second = (await api.createJobs({ action: "compile", targets: { devices: ["fan"] } })).jobs[0]!;
    const j2: Job = await waitFor(
      async () => ((await api.job(second.jobId)).state === "succeeded" ? api.job(second.jobId) : null),
      "second build",
    );
    expect(j2.workerId).toBe(warm);
    expect(j2.dispatchReason).toMatch(/^affinity/);
  });
});
