// A validate job through a real sidecar and its local worker running the real `esphome config`:
// ESPHome's errors arrive as Job.validationErrors (file, line, message) on REST and on the events
// stream, stored with the job, and a valid config leaves the list empty.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";

let sc: SidecarProc;
let api: Api;
let events: EventsClient;
let worker: ProcHandle;

beforeAll(async () => {
  const dataDir = tempDir();
  const config = join(dataDir, "config");
  writeFleet(config, [{ id: "fine" }, { id: "broken" }]);
  // An invalid logger level: ESPHome reports it with the file and line of the offending key.
  const broken = join(config, "broken.yaml");
  writeFileSync(broken, readFileSync(broken, "utf8").replace("logger:\n", "logger:\n  level: BOGUS\n"));
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0, env: { FORGE_ESPHOME_BIN: esphomeBin() } });
  api = new Api(sc.url, sc.token);
  // validate runs the real `esphome config`; only compile would use the stand-in.
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "validator" });
  worker = startWorker({
    url: sc.url,
    token: secret,
    name: "validator",
    extraArgs: ["--build-command-phases", "compile", "--esphome", esphomeBin()],
  });
  await waitFor(
    async () =>
      (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
        (w) => w.name === "validator" && w.online,
      ),
    "worker online",
  );
  events = new EventsClient(sc.url, sc.token);
  await waitFor(() => events.of("snapshot").length, "events snapshot");
}, 60_000);
afterAll(async () => {
  events?.close();
  await worker?.stop();
  await sc?.stop();
});

async function validate(device: string): Promise<Job> {
  const id = (await api.createJobs({ action: "validate", targets: { devices: [device] } })).jobs[0]!.jobId;
  return waitFor(
    async () => {
      const job = await api.job(id);
      return job.state === "succeeded" || job.state === "failed" ? job : null;
    },
    `validate ${device}`,
    90_000,
    200,
  );
}

describe("validate jobs carry ESPHome's structured errors", () => {
  it("a broken config: Job.validationErrors with file, line and message, on REST and events", async () => {
    // The inventory's own `esphome config` already flags the device; validate still runs for it.
    expect((await api.json<{ error: string | null }>("GET", "/devices/broken")).error).toContain("BOGUS");
    const job = await validate("broken");
    expect(job, await api.log(job.id)).toMatchObject({ state: "failed", phase: "validate" });
    expect(Job.parse(job).validationErrors).toEqual([
      { file: "broken.yaml", line: expect.any(Number), message: expect.stringContaining("Unknown value 'BOGUS'") },
    ]);
    const line = job.validationErrors[0]!.line!;
    // The line is the real one: where `level: BOGUS` sits in the file.
    expect(readLines(join(sc.dataDir, "config", "broken.yaml"))[line - 1]).toContain("BOGUS");
    // The same list in the job listing and in the job's last event.
    const listed = await api.json<{ jobs: Job[] }>("GET", `/jobs?device=broken&action=validate`);
    expect(listed.jobs.find((j) => j.id === job.id)!.validationErrors).toEqual(job.validationErrors);
    await waitFor(() => events.of("job").some((e) => e.id === job.id && e.job?.state === "failed"), "failed job event");
    const last = events
      .of("job")
      .filter((e) => e.id === job.id)
      .at(-1)!.job!;
    expect(last.validationErrors).toEqual(job.validationErrors);
  }, 120_000);

  it("a valid config: succeeded with no validation errors", async () => {
    const job = await validate("fine");
    expect(job, await api.log(job.id)).toMatchObject({ state: "succeeded", phase: "validate", validationErrors: [] });
  }, 120_000);
});

function readLines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n");
}
