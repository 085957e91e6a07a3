// Damage is loud, never silent. A 0-byte or unreadable forge.db in a data folder that was used before,
// and a database older than the state anchor (an older backup put back), are refused at start with
// the file and the recovery step named; `--accept-database` goes on without flashing anything twice.
// A deleted -wal after kill -9 loses no flash record. (Before: a 0-byte database started as a blank
// install, and an old database put a flashed job back to running, to be flashed again.)
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFlasher } from "../test-support/fleet-jobs.js";
import Database from "better-sqlite3";
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

const ADMIN = "damaged-db-test-admin-token-0123456789";

async function boot(dataDir: string, port: number, extra: string[] = []): Promise<{ sc: SidecarProc; api: Api }> {
  const sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--port", String(port), "--lease-ms", "2000", "--admin-token", ADMIN, ...extra],
  });
  cleanup.push(sc);
  return { sc, api: new Api(sc.url, sc.token) };
}

/** The start refusal: the sidecar exits before it listens; returns what it printed. */
async function refused(dataDir: string, port: number): Promise<string> {
  const err = await boot(dataDir, port).then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err, "the sidecar must refuse to start").not.toBeNull();
  return err!.message;
}

const finished = (api: Api, id: number) =>
  waitFor(
    async () => {
      const j = await api.job(id);
      return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : null;
    },
    `job ${id} to finish`,
    60_000,
  );

/** Flashes the stand-in performed on this worker (one JSON line each). */
/** Stand-in flashes of a device on this worker and on the built-in local worker (a flasher; builders never flash). */
function flashes(stateDirs: string[], device: string): number {
  const count = (dir: string) => {
    const file = join(dir, "builds", device, ".esphome", "standin-uploads.jsonl");
    return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").length : 0;
  };
  return stateDirs.reduce((n, dir) => n + count(dir), 0);
}

function dropWal(dataDir: string): void {
  for (const f of ["forge.db-wal", "forge.db-shm"]) rmSync(join(dataDir, f), { force: true });
}

describe("a damaged database", () => {
  it("a 0-byte forge.db in a used data folder is refused with the file and the recovery step", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "kitchen" }]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
    const worker = startWorker({ url: sc.url, token: secret, name: "w" });
    cleanup.push(worker);
    const flasher = await startFlasher(api, sc.url); // a builder never flashes
    cleanup.push(flasher);
    const old = (await api.createJobs({ action: "compile", targets: { devices: ["kitchen"] } })).jobs[0]!.jobId;
    expect((await finished(api, old)).state).toBe("succeeded");
    await sc.stop("SIGTERM");

    truncateSync(join(dataDir, "forge.db"), 0);
    dropWal(dataDir);
    const msg = await refused(dataDir, port);
    expect(msg).toContain(join(dataDir, "forge.db"));
    expect(msg).toMatch(/is empty \(0 bytes\), but this data folder was used before/);
    expect(msg).toMatch(/Recovery: restore forge\.db/);
    expect(msg).toContain("--accept-database");
    expect(readFileSync(join(dataDir, "forge.db")).length).toBe(0); // refused without touching it

    // Starting over on purpose: allowed, and job ids are never handed out twice.
    ({ sc, api } = await boot(dataDir, port, ["--accept-database"]));
    expect(sc.output()).toMatch(/starting with an empty database as asked/);
    const { secret: again } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w2" });
    cleanup.push(startWorker({ url: sc.url, token: again, name: "w2" }));
    const next = (await api.createJobs({ action: "compile", targets: { devices: ["kitchen"] } })).jobs[0]!.jobId;
    expect(next).toBeGreaterThan(old);
  });

  it("a forge.db that is not a database is refused, naming the file and how to recover", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const { sc } = await boot(dataDir, port);
    await sc.stop("SIGTERM");
    writeFileSync(join(dataDir, "forge.db"), Buffer.alloc(8192, 0x41));
    dropWal(dataDir);
    const msg = await refused(dataDir, port);
    expect(msg).toContain(`${join(dataDir, "forge.db")} is damaged`);
    expect(msg).toMatch(/Recovery: stop the sidecar, move .* aside and restore it/);
  });

  it("a deleted -wal after kill -9 never puts a flashed job back to run: it is refused, or the flash survived", async () => {
    const dataDir = tempDir();
    // Enough output that SQLite checkpoints while the job runs: the database file alone then holds it running.
    writeFleet(join(dataDir, "config"), [{ id: "porch", standin: ["log-bytes=6000000"] }]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
    const worker = startWorker({ url: sc.url, token: secret, name: "w" });
    cleanup.push(worker);
    const flasher = await startFlasher(api, sc.url); // a builder never flashes
    cleanup.push(flasher);
    const id = (await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    expect((await finished(api, id)).state).toBe("succeeded");
    expect(flashes([worker.stateDir, flasher.stateDir], "porch")).toBe(1);

    sc.proc.kill("SIGKILL");
    await sc.exited;
    dropWal(dataDir);
    const start = await boot(dataDir, port).then(
      (r) => r,
      (e: unknown) => (e as Error).message,
    );
    if (typeof start === "string") {
      // The flash's records were only in the lost WAL: the anchor names them, and the start stops.
      expect(start).toContain("is older than the state anchor");
      expect(start).toMatch(new RegExp(`job ${id} attempt 1 on porch: flash (started|succeeded)`));
      ({ sc, api } = await boot(dataDir, port, ["--accept-database"]));
      const res = await api.raw("GET", `/jobs/${id}`);
      if (res.status === 200) expect(["failed", "succeeded"]).toContain((await api.job(id)).state);
      else expect(res.status).toBe(404); // its row was in the lost WAL too: nothing left to run
    } else {
      // A checkpoint had already put the outcome into the database file.
      ({ sc, api } = start);
      expect((await api.job(id)).state).toBe("succeeded");
    }
    // The worker is back and busy with new work; the device was flashed once.
    const next = (await api.createJobs({ action: "compile", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    expect(next).toBeGreaterThan(id);
    expect((await finished(api, next)).state).toBe("succeeded");
    expect(flashes([worker.stateDir, flasher.stateDir], "porch")).toBe(1);
  });

  it("an older backup put back is refused; --accept-database closes the flashed job instead of re-flashing", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "porch", standin: ["sleep-ms=2500"] }]);
    const port = await freePort();
    let { sc, api } = await boot(dataDir, port);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
    const worker = startWorker({ url: sc.url, token: secret, name: "w" });
    cleanup.push(worker);
    const flasher = await startFlasher(api, sc.url); // a builder never flashes
    cleanup.push(flasher);
    const a = (await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    expect((await finished(api, a)).state).toBe("succeeded");

    // A backup taken while job b compiles; b then flashes, and the old backup is put back.
    const b = (await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    await waitFor(async () => (await api.job(b)).phase === "compile", "b compiling");
    const backup = join(tempDir(), "forge.db");
    const src = new Database(join(dataDir, "forge.db"), { readonly: true });
    await src.backup(backup);
    src.close();
    expect((await finished(api, b)).state).toBe("succeeded");
    expect(flashes([worker.stateDir, flasher.stateDir], "porch")).toBe(2);
    sc.proc.kill("SIGKILL");
    await sc.exited;
    writeFileSync(join(dataDir, "forge.db"), readFileSync(backup));
    dropWal(dataDir);

    const msg = await refused(dataDir, port);
    expect(msg).toContain(`${join(dataDir, "forge.db")} is older than the state anchor`);
    expect(msg).toContain(join(dataDir, "state", "anchor.json"));
    expect(msg).toMatch(
      new RegExp(`flash records: it has \\d+, the anchor recorded \\d+ \\(job ${b} attempt 1 on porch`),
    );
    expect(msg).toMatch(/Recovery: put back the newer forge\.db/);
    expect(msg).toContain("--accept-database");

    ({ sc, api } = await boot(dataDir, port, ["--accept-database"]));
    expect(sc.output()).toMatch(new RegExp(`job ${b} closed instead of flashing again`));
    const closed = await api.job(b);
    expect(closed.state).toBe("failed");
    expect(closed.error).toMatch(/not run again \(no second flash\)/);
    // The worker reconnects and takes new work; b is never flashed again.
    const c = (await api.createJobs({ action: "compile", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    expect(c).toBeGreaterThan(b);
    expect((await finished(api, c)).state).toBe("succeeded");
    expect(flashes([worker.stateDir, flasher.stateDir], "porch")).toBe(2);
  });
});
