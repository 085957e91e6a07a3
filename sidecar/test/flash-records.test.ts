// A flash is on record before and after it happens. The first attempt of a compile_upload's flash step
// stalls in the middle of its flash and its flasher dies; the retry on another flasher flashes again — never
// silently: the job log says the first flash was interrupted and that this attempt re-flashes after
// it, and the trust log holds both attempts (intent, interrupted; intent marked as a re-flash, OTA).
// (Before: the interrupted flash left no trace in the trust log, and the second flash said nothing.)
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type ProcHandle } from "../src/devtools/processes.js";
import { startFlasher } from "../test-support/fleet-jobs.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface OtaEntry {
  kind: string;
  jobId: number;
  attempt?: number;
  outcome?: string;
  afterInterrupted?: { jobId: number; attempt: number } | null;
  firmwareSha256: string | null;
}

/** The flash entries of the trust log, read from the database file beside the running sidecar. */
function otaEntries(dataDir: string): OtaEntry[] {
  const db = new Database(join(dataDir, "forge.db"), { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT CAST(body AS TEXT) AS body FROM trust_log_leaves WHERE kind IN ('ota_intent', 'ota', 'ota_failed') ORDER BY idx",
      )
      .all() as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as OtaEntry);
  } finally {
    db.close();
  }
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

describe("flash records", () => {
  it("an interrupted flash and its re-flash are both on record, in the job log and the trust log", async () => {
    const dataDir = tempDir();
    const marker = join(tempDir("forge-hang-"), "stalled");
    cleanup.push(() => {
      // The stalled stand-in outlives its killed worker: end it too.
      if (existsSync(marker)) {
        try {
          process.kill(Number(readFileSync(marker, "utf8")), "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
    writeFleet(join(dataDir, "config"), [{ id: "porch", standin: ["hang=upload", `hang-once=${marker}`] }]);
    const sc = await startSidecar({ dataDir, args: ["--no-seed", "--lease-ms", "2000"], localSlots: 0 });
    cleanup.push(() => sc.stop("SIGKILL"));
    const api = new Api(sc.url, sc.token);
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
    const builder: ProcHandle = startWorker({ url: sc.url, token: secret, name: "builder", slots: 1 });
    cleanup.push(() => builder.stop("SIGKILL"));
    // The flash step goes to a flasher (a builder never flashes): the first one dies mid-flash.
    const first: ProcHandle = await startFlasher(api, sc.url, { name: "first" });
    cleanup.push(() => first.stop("SIGKILL"));

    const id = (await api.createJobs({ action: "compile_upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    // The flash has begun (the intent is on record) and stalls there; then its worker dies.
    await waitFor(async () => /hanging in upload/.test(await api.log(id)), "the flash to stall", 30_000);
    expect(await api.log(id)).toMatch(/flash of sha256 [0-9a-f]{12}… recorded before it starts \(attempt 1/);
    first.proc.kill("SIGKILL");
    await first.exited;

    const second = await startFlasher(api, sc.url, { name: "second" });
    cleanup.push(() => second.stop("SIGKILL"));
    const done = await finished(api, id);
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(2);

    const log = await api.log(id);
    const at = (re: RegExp) => log.search(re);
    const intent1 = at(/recorded before it starts \(attempt 1/);
    const interrupted = at(/the flash of attempt 1 \(sha256 [0-9a-f]{12}…\) was interrupted/);
    const reflash = at(/re-flashing after an interrupted attempt: the flash of job \d+ attempt 1/);
    const intent2 = at(/recorded before it starts \(attempt 2/);
    expect(intent1).toBeGreaterThan(-1);
    expect(interrupted).toBeGreaterThan(intent1);
    expect(intent2).toBeGreaterThan(interrupted);
    expect(reflash).toBeGreaterThan(intent2);
    expect(log).toMatch(/whether the device took it is unknown \(no presence information\)/);

    const entries = otaEntries(dataDir).filter((e) => e.jobId === id);
    expect(entries.map((e) => [e.kind, e.attempt ?? null, e.outcome ?? null])).toEqual([
      ["ota_intent", 1, null],
      ["ota_failed", 1, "interrupted"],
      ["ota_intent", 2, null],
      ["ota", null, null],
    ]);
    expect(entries[0]!.afterInterrupted).toBeNull();
    expect(entries[2]!.afterInterrupted).toEqual({ jobId: id, attempt: 1 });
    expect(entries[3]!.firmwareSha256).toBe(entries[2]!.firmwareSha256);

    // An upload of the archived firmware is on record too: intent at assignment, then the OTA.
    const up = (await api.createJobs({ action: "upload", targets: { devices: ["porch"] } })).jobs[0]!.jobId;
    expect((await finished(api, up)).state).toBe("succeeded");
    const upEntries = otaEntries(dataDir).filter((e) => e.jobId === up);
    expect(upEntries.map((e) => e.kind)).toEqual(["ota_intent", "ota"]);
    expect(upEntries[0]!.afterInterrupted).toBeNull(); // the last flash of the device succeeded
  });
});
