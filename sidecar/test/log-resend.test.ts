// Log lines in flight when the sidecar dies are not lost: the worker keeps every chunk until the
// sidecar acknowledges it and sends the rest again after reconnecting; the sidecar drops the repeats.
// Real processes: kill -9 of the sidecar in the middle of a burst of numbered output, twice, and every
// line is in the job's log exactly once, in order. (Before: lines in flight vanished without a marker.)
// Also: content trust's "build approved" note lands after the lines that led to it.
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
import { startFlasher } from "../test-support/fleet-jobs.js";

const cleanup: ProcHandle[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((p) => p.stop("SIGKILL")));
});

const ADMIN = "log-resend-test-admin-token-0123456789";
/** The stand-in's extra output line (standin-esphome.mjs, `log-bytes`), after its number. */
const VERBOSE_LINE =
  "\x1b[36m[standin]\x1b[0m verbose build output line with ünïcödé ✓ and colour, padding padding padding\n";

async function boot(dataDir: string, port: number): Promise<{ sc: SidecarProc; api: Api }> {
  const sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--port", String(port), "--lease-ms", "5000", "--admin-token", ADMIN],
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
    90_000,
  );

/** The numbers of the stand-in's numbered lines (`line 000123`), in log order. */
const numbered = (log: string) => [...log.matchAll(/line (\d{6}) /g)].map((m) => Number(m[1]));

describe("log lines in flight", () => {
  it("survive two kill -9s of the sidecar mid-output: every line exactly once, in order", async () => {
    const dataDir = tempDir();
    const bytes = 3_000_000; // under the worker's 4 Mi-character hold: nothing needs dropping
    writeFleet(join(dataDir, "config"), [
      { id: "chatty", standin: [`log-bytes=${bytes}`, "log-numbered=1", "sleep-ms=2000"] },
    ]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port);
    await api.json("PATCH", "/settings", { logCapBytes: 32 * 1024 * 1024 }); // keep all of it, to count it
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    cleanup.push(startWorker({ url: sc.url, token: secret, name: "remote", slots: 1 }));
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["chatty"] } })).jobs[0]!.jobId;

    // Kill while the burst streams in (the sidecar is still storing it), let it come back, and kill
    // again if the burst is still going.
    const total = Math.ceil(bytes / Buffer.byteLength(`line 000000 ${VERBOSE_LINE}`));
    const killedAt: number[] = [];
    for (let kill = 0; kill < 2; kill++) {
      const seen = await waitFor(
        async () => {
          const n = numbered(await api.log(id)).length;
          return n > (killedAt.at(-1) ?? 0) + 200 ? n : null;
        },
        "more numbered output",
        60_000,
        20,
      );
      if (seen >= total) break;
      killedAt.push(seen);
      sc.proc.kill("SIGKILL");
      await sc.exited;
      ({ sc, api } = await boot(dataDir, port));
    }
    expect(killedAt.length).toBeGreaterThan(0); // at least one kill landed in the middle of the output

    const done = await finished(api, id);
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(1); // the worker continued the same assignment
    const log = await api.log(id);
    expect(numbered(log)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const steps = [...log.matchAll(/\[(\d+)\/20\]/g)].map((m) => Number(m[1]));
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log).not.toMatch(/never arrived/); // nothing was lost, so no gap marker either
    expect(log).toContain("Successfully compiled program");
  });

  it("marks a true gap exactly where the lines are missing (the worker's hold overflowed during an outage)", async () => {
    const dataDir = tempDir();
    const bytes = 9_000_000; // well over the worker's 4 Mi-character hold
    writeFleet(join(dataDir, "config"), [{ id: "chatty", standin: [`log-bytes=${bytes}`, "log-numbered=1"] }]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port);
    await api.json("PATCH", "/settings", { logCapBytes: 32 * 1024 * 1024 });
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    const worker = startWorker({ url: sc.url, token: secret, name: "remote", slots: 1 });
    cleanup.push(worker);
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["chatty"] } })).jobs[0]!.jobId;
    await waitFor(async () => numbered(await api.log(id)).length > 100, "numbered output", 60_000, 20);
    sc.proc.kill("SIGKILL");
    await sc.exited;
    // The whole build finishes while the sidecar is down: the worker must drop the oldest output.
    await waitFor(() => /job \d+: succeeded/.test(worker.output()), "the build to end on the worker", 60_000);
    ({ sc, api } = await boot(dataDir, port));
    expect((await finished(api, id)).state).toBe("succeeded");

    const total = Math.ceil(bytes / Buffer.byteLength(`line 000000 ${VERBOSE_LINE}`));
    const log = await api.log(id);
    const parts = log.split(/\[forge\] \d+ chunks? of build output never arrived here[^\n]*\n/);
    expect(parts).toHaveLength(2); // exactly one marker
    const before = numbered(parts[0]!);
    const after = numbered(parts[1]!);
    expect(before).toEqual(Array.from({ length: before.length }, (_, i) => i + 1));
    const first = after[0]!;
    expect(first).toBeGreaterThan(before.length + 1); // lines are missing here, and only here
    expect(after).toEqual(Array.from({ length: total - first + 1 }, (_, i) => first + i));
    expect(parts[1]).toContain("Successfully compiled program");
  });

  it("orders a compile_upload's log: the build, its approval, the hand-over, then the flasher's flash", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "porch" }]); // the stand-in's upload records the flash, no device
    const { sc, api } = await boot(dataDir, await freePort());
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    cleanup.push(startWorker({ url: sc.url, token: secret, name: "remote", slots: 1 }));
    cleanup.push(await startFlasher(api, sc.url));
    const id = (await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    expect((await finished(api, id)).state).toBe("succeeded");
    const log = await api.log(id);
    const built = log.indexOf("Successfully compiled program");
    const approved = log.indexOf("content trust: build approved");
    const handedOver = log.indexOf("the flash waits for a flasher (never the builder)");
    const flashing = log.indexOf("[forge worker] downloading firmware.ota.bin");
    expect(built).toBeGreaterThan(-1);
    expect(approved).toBeGreaterThan(built);
    expect(handedOver).toBeGreaterThan(approved);
    expect(flashing).toBeGreaterThan(handedOver);
  });
});
