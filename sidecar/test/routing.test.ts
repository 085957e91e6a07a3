// Routing with real processes: a job no online worker can take is `blocked` with the exact reason and
// goes back to `queued` the moment a worker, its tags or the rules change; pins and rules are named in
// the dispatch reason; an unknown pinned worker is refused at enqueue.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job, RoutingRule } from "@esphome-forge/shared";
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
import { startFlasher } from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
const workers: ProcHandle[] = [];
type W = { id: string; name: string; online: boolean; tags: string[] };

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "attic", platform: "esp32" },
    { id: "porch", platform: "esp8266" },
    { id: "shed", platform: "esp8266" },
  ]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0 });
  api = new Api(sc.url, sc.token);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await sc?.stop();
});

async function worker(name: string, tags: string[], again?: { stateDir: string; secret: string }) {
  // A worker id is bound to its first token: the same worker coming back uses the same one.
  const secret = again?.secret || (await api.json<{ secret: string }>("POST", "/worker-tokens", { name })).secret;
  const stateDir = again?.stateDir;
  const w = startWorker({ url: sc.url, token: secret, name, tags, ...(stateDir ? { stateDir } : {}) });
  workers.push(w);
  const seen = await waitFor(
    async () => (await api.json<{ workers: W[] }>("GET", "/workers")).workers.find((x) => x.name === name && x.online),
    `${name} online`,
  );
  return { ...w, id: seen.id, secret };
}

const state = (id: number, want: Job["state"]) =>
  waitFor(async () => {
    const j = await api.job(id);
    return j.state === want ? j : null;
  }, `job ${id} ${want}`);

const setRules = (routingRules: RoutingRule[]) => api.json("PATCH", "/settings", { routingRules });

describe("blocked jobs", () => {
  let garage: Awaited<ReturnType<typeof worker>>;

  it("a tag no online worker has blocks the job with the reason; a worker bringing it releases it", async () => {
    garage = await worker("garage-pc", ["esp8266"]);
    const r = await api.createJobs({
      action: "compile",
      targets: { devices: ["porch"] },
      params: { workerTags: ["esp-idf"] },
    });
    const blocked = await state(r.jobs[0]!.jobId, "blocked");
    expect(blocked.blockedReason).toBe(
      `needs a worker with tag esp-idf; online workers: garage-pc (${garage.id}) [esp8266]`,
    );
    await worker("idf-box", ["esp-idf"]);
    const done = await state(blocked.id, "succeeded");
    expect(done.blockedReason).toBeNull();
    expect(done.dispatchReason).toMatch(/^job needs tags esp-idf; /);
  });

  it("a routing rule blocks a matching device's job naming the rule; editing the rule releases it", async () => {
    await setRules([{ name: "esp32 builds on x86", match: { platforms: ["esp32"] }, workerTags: ["x86"] }]);
    const r = await api.createJobs({ action: "compile", targets: { devices: ["attic", "shed"] } });
    const [attic, shed] = r.jobs.map((j) => j.jobId) as [number, number];
    const blocked = await state(attic, "blocked");
    expect(blocked.blockedReason).toMatch(
      /^needs a worker with tag x86 \(rule 'esp32 builds on x86'\); online workers: /,
    );
    expect(blocked.blockedReason).toContain(`garage-pc (${garage.id}) [esp8266]`);
    // The rule does not touch the esp8266 device: it runs, and its reason names no rule.
    expect((await state(shed, "succeeded")).dispatchReason).not.toMatch(/rule/);
    // The rule now asks for a tag garage-pc carries: the blocked job goes back to the queue and runs there.
    await setRules([{ name: "esp32 builds on x86", match: { platforms: ["esp32"] }, workerTags: ["esp8266"] }]);
    const done = await state(attic, "succeeded");
    expect(done.workerId).toBe(garage.id);
    expect(done.dispatchReason).toMatch(/^rule 'esp32 builds on x86' needs tags esp8266; /);
    await setRules([]);
  });

  it("a worker's tags changed by an admin release a job waiting for them", async () => {
    const r = await api.createJobs({
      action: "compile",
      targets: { devices: ["shed"] },
      params: { workerTags: ["usb"] },
    });
    const id = r.jobs[0]!.jobId;
    await state(id, "blocked");
    await api.json("PATCH", `/workers/${garage.id}`, { tags: ["esp8266", "usb"] });
    expect((await state(id, "succeeded")).workerId).toBe(garage.id);
  });
});

describe("pinned jobs", () => {
  it("an unknown worker id is refused at enqueue; nothing is queued", async () => {
    const res = await api.raw("POST", "/jobs", {
      action: "compile",
      targets: { devices: ["porch"] },
      params: { workerId: "never-seen" },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("never-seen");
  });

  it("a pin to a known worker that is offline blocks the job; it runs there once it reconnects, and says so", async () => {
    const stateDir = tempDir("forge-worker-");
    const laptop = await worker("laptop", [], { stateDir, secret: "" });
    await laptop.stop("SIGTERM");
    await waitFor(
      async () =>
        !(await api.json<{ workers: W[] }>("GET", "/workers")).workers.find((x) => x.id === laptop.id)?.online,
      "laptop offline",
    );
    const r = await api.createJobs({
      action: "compile",
      targets: { devices: ["porch"] },
      params: { workerId: laptop.id },
    });
    const blocked = await state(r.jobs[0]!.jobId, "blocked");
    expect(blocked.blockedReason).toMatch(
      new RegExp(`^pinned to worker ${laptop.id} \\(params.workerId\\), which is offline; online workers: `),
    );
    await worker("laptop", [], { stateDir, secret: laptop.secret });
    const done = await state(blocked.id, "succeeded");
    expect(done.workerId).toBe(laptop.id);
    expect(done.dispatchReason).toBe(`pinned to ${laptop.id} (params.workerId)`);
  });

  it("a flash step with no flasher online is blocked saying so; a flasher joining takes it", async () => {
    const r = await api.createJobs({ action: "compile_upload", targets: { devices: ["shed"] } });
    const blocked = await state(r.jobs[0]!.jobId, "blocked");
    expect(blocked.step).toBe("flash");
    expect(blocked.builtBy).toBeTruthy();
    expect(blocked.blockedReason).toMatch(
      new RegExp(
        `^needs a worker with the flasher role other than ${blocked.builtBy}, which built the image .*; online workers: .*\\(builder\\)$`,
      ),
    );
    workers.push(await startFlasher(api, sc.url));
    const done = await state(blocked.id, "succeeded");
    expect(done.workerId).not.toBe(done.builtBy);
    expect(done.blockedReason).toBeNull();
  });
});

describe("rules through the API", () => {
  it("refuses a rule that matches nothing and duplicate names, keeping the rules it had", async () => {
    const keep: RoutingRule[] = [{ name: "big", match: { name: "attic*" }, workerTags: ["big"] }];
    await setRules(keep);
    for (const bad of [
      [{ name: "empty", match: {}, workerTags: ["x"] }],
      [keep[0], keep[0]],
      [{ name: "no tags", match: { tags: ["a"] }, workerTags: [] }],
    ]) {
      const res = await api.raw("PATCH", "/settings", { routingRules: bad });
      expect(res.status).toBe(400);
    }
    const { settings } = await api.json<{ settings: { routingRules: RoutingRule[] } }>("GET", "/settings");
    expect(settings.routingRules).toEqual(keep);
    await setRules([]);
  });
});
