// `kill -9` of the sidecar mid-build loses no job and no finished result: a remote worker
// that reconnects continues its job; the local worker's job is requeued and run again.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  freePort,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

const cleanup: ProcHandle[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((p) => p.stop("SIGKILL")));
});

async function boot(dataDir: string, port: number, localSlots: number): Promise<{ sc: SidecarProc; api: Api }> {
  const sc = await startSidecar({
    dataDir,
    localSlots,
    args: [
      "--no-seed",
      "--port",
      String(port),
      "--lease-ms",
      "3000",
      "--admin-token",
      "restart-test-admin-token-0123456789abcdef",
    ],
  });
  cleanup.push(sc);
  return { sc, api: new Api(sc.url, sc.token) };
}

const finished = (api: Api, id: number) =>
  waitFor(
    async () => {
      const j = await api.job(id);
      return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
    },
    `job ${id} to finish`,
    40_000,
  );

describe("kill -9 of the sidecar", () => {
  it("a remote worker reconnects and continues its running job; queued and finished jobs survive", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "quick" }, { id: "long", standin: ["sleep-ms=5000"] }, { id: "next" }]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port, 0);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    cleanup.push(startWorker({ url: sc.url, token: secret, name: "remote", slots: 1 }));

    const quick = (await api.createJobs({ action: "compile", targets: { devices: ["quick"] } })).jobs[0]!.jobId;
    const quickDone = await finished(api, quick);
    expect(quickDone.state).toBe("succeeded");

    const long = (await api.createJobs({ action: "compile", targets: { devices: ["long"] } })).jobs[0]!.jobId;
    // Running *on the worker* (it reported a phase), not just assigned by the sidecar.
    await waitFor(async () => (await api.job(long)).phase === "compile", "long compiling on the worker");
    const next = (await api.createJobs({ action: "compile", targets: { devices: ["next"] } })).jobs[0]!.jobId;
    expect((await api.job(next)).state).toBe("queued");

    sc.proc.kill("SIGKILL");
    await sc.exited;
    ({ sc, api } = await boot(dataDir, port, 0));

    const longDone = await finished(api, long);
    expect(longDone.state).toBe("succeeded");
    expect(longDone.attempts).toBe(1); // continued, not rerun
    expect((await finished(api, next)).state).toBe("succeeded");
    const again = await api.job(quick);
    expect(again.state).toBe("succeeded");
    expect(again.firmware).toEqual(quickDone.firmware);
    const fw = await api.raw("GET", `/firmware/${quickDone.firmware[0]!.sha256}`);
    expect(fw.status).toBe(200);
  });

  it("a job on the built-in local worker (which dies with the sidecar) is requeued and run again", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "long", standin: ["sleep-ms=4000"] }]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port, 1);
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["long"] } })).jobs[0]!.jobId;
    await waitFor(async () => (await api.job(id)).phase === "compile", "compiling on the local worker", 30_000);
    sc.proc.kill("SIGKILL");
    await sc.exited;
    ({ sc, api } = await boot(dataDir, port, 1));
    const done = await finished(api, id);
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(2);
    expect(await api.log(id)).toMatch(/local worker stopped with the sidecar \(attempt 1\/\d\); requeued/i);
  });
});
