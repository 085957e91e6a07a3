// The worker's build cache on real processes: the --cache-max-mb cap evicts whole device folders,
// least recently used first, after jobs; `clean-cache` through the REST API removes idle folders
// and leaves the folder of a running job (and the job) alone.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
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
import { settledJob } from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
let worker: (ProcHandle & { stateDir: string }) | null = null;

beforeAll(async () => {
  const dataDir = tempDir();
  const big = ["firmware-bytes=450000"];
  writeFleet(join(dataDir, "config"), [
    { id: "cap-a", platform: "esp8266", standin: big },
    { id: "cap-b", platform: "esp8266", standin: big },
    { id: "cap-c", platform: "esp8266", standin: big },
    { id: "idle", platform: "esp8266" },
    { id: "busy", platform: "esp8266", standin: ["sleep-ms=4000"] },
  ]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
}, 60_000);
afterEach(async () => {
  await worker?.stop();
  worker = null;
});
afterAll(async () => {
  await sc?.stop();
});

async function addWorker(
  name: string,
  slots: number,
  extraArgs: string[] = [],
): Promise<{ w: ProcHandle & { stateDir: string }; id: string }> {
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
  const w = startWorker({ url: sc.url, token: secret, name, slots, extraArgs });
  worker = w;
  const id = await waitFor(async () => {
    const { workers } = await api.json<{ workers: { id: string; name: string; online: boolean }[] }>("GET", "/workers");
    return workers.find((x) => x.name === name && x.online)?.id;
  }, `worker ${name} online`);
  return { w, id };
}

async function run(action: "compile", device: string): Promise<number> {
  return (await api.createJobs({ action, targets: { devices: [device] } })).jobs[0]!.jobId;
}

const settled = (id: number) => settledJob(api, id);

describe("--cache-max-mb", () => {
  it("evicts the least recently used device folder once the cap is crossed, and a rebuild then works", async () => {
    const { w } = await addWorker("capped", 1, ["--cache-max-mb", "1"]);
    const folder = (id: string) => join(w.stateDir, "builds", id);
    for (const d of ["cap-a", "cap-b"]) expect((await settled(await run("compile", d))).state).toBe("succeeded");
    expect(existsSync(folder("cap-a")) && existsSync(folder("cap-b"))).toBe(true); // ~0.9 MB: under the cap
    expect((await settled(await run("compile", "cap-c"))).state).toBe("succeeded");
    await waitFor(() => !existsSync(folder("cap-a")), "cap-a to be evicted");
    expect(existsSync(folder("cap-b")) && existsSync(folder("cap-c"))).toBe(true);
    await waitFor(
      () => /build cache: evicted cap-a \(0\.\d MB, least recently used\)/.test(w.output()),
      "the eviction to be logged",
    );
    // cap-a builds again from scratch; now cap-b is the least recently used.
    expect((await settled(await run("compile", "cap-a"))).state).toBe("succeeded");
    await waitFor(() => !existsSync(folder("cap-b")), "cap-b to be evicted");
    expect(existsSync(folder("cap-a")) && existsSync(folder("cap-c"))).toBe(true);
  }, 60_000);
});

describe("clean-cache through the API", () => {
  it("removes idle build folders and leaves a running job's folder and the job alone", async () => {
    const { w, id } = await addWorker("cleaner", 2);
    const folder = (d: string) => join(w.stateDir, "builds", d);
    expect((await settled(await run("compile", "idle"))).state).toBe("succeeded");
    const busyJob = await run("compile", "busy");
    await waitFor(async () => (await api.job(busyJob)).phase === "compile", "the busy job to compile");
    expect(existsSync(folder("idle")) && existsSync(folder("busy"))).toBe(true);

    await api.json("POST", `/workers/${id}/clean-cache`);
    await waitFor(() => !existsSync(folder("idle")), "the idle folder to be removed");
    expect(existsSync(folder("busy"))).toBe(true);
    await waitFor(() => w.output().includes("cleaned 1 build folder(s); busy, kept: busy"), "the clean to be logged");
    const done = await settled(busyJob);
    expect(done.state, await api.log(busyJob)).toBe("succeeded");
    expect(done.firmware.length).toBeGreaterThan(0);
    expect(existsSync(join(folder("busy"), ".esphome"))).toBe(true);
  }, 60_000);

  it("cleans one device's folder with ?device= and keeps the others; a bad device id is refused", async () => {
    const { w, id } = await addWorker("one-device", 1);
    const folder = (d: string) => join(w.stateDir, "builds", d);
    expect((await settled(await run("compile", "idle"))).state).toBe("succeeded");
    expect((await settled(await run("compile", "busy"))).state).toBe("succeeded");
    expect(existsSync(folder("idle")) && existsSync(folder("busy"))).toBe(true);
    await api.json("POST", `/workers/${id}/clean-cache?device=idle`);
    await waitFor(() => !existsSync(folder("idle")), "the idle folder to be removed");
    expect(existsSync(folder("busy"))).toBe(true);
    const bad = await api.raw("POST", `/workers/${id}/clean-cache?device=${encodeURIComponent("../etc")}`);
    expect(bad.status).toBe(400);
    expect(existsSync(folder("busy"))).toBe(true);
  }, 60_000);
});
