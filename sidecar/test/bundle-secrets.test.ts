// Secrets in bundles, end to end: a real sidecar (real `esphome config` in its inventory) and a real
// worker process. A symlinked or hard-linked alias of secrets.yaml — named like a font, included as
// substitutions or as a package — never reaches the worker: those devices carry a clear error and
// only the keys a device references ever leave the config folder. A mapping merged in with
// `<<: !include file.yaml` is bundled and hashed like any include, as the real `esphome bundle` does.
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "@esphome-forge/shared";
import { esphomeBundle, readBundle } from "../src/bundle/bundle.js";
import { Api } from "../src/devtools/api-client.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";

const BANK_PIN = "canary-bank-pin-5512";
const device = (name: string, extra = "") =>
  `esphome:\n  name: ${name}\nesp32:\n  board: esp32dev\nwifi:\n  ssid: !secret wifi_ssid\n  password: !secret wifi_password\n${extra}`;

let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;
let configDir: string;

beforeAll(async () => {
  const dataDir = tempDir();
  configDir = join(dataDir, "config");
  mkdirSync(join(configDir, "fonts"), { recursive: true });
  mkdirSync(join(configDir, "private"));
  mkdirSync(join(configDir, "common"));
  writeFileSync(
    join(configDir, "secrets.yaml"),
    `wifi_ssid: "lab"\nwifi_password: "correct horse"\nbank_pin: "${BANK_PIN}"\n`,
  );
  symlinkSync("../secrets.yaml", join(configDir, "fonts/roboto.ttf"));
  symlinkSync("secrets.yaml", join(configDir, "subs.yaml.inc"));
  linkSync(join(configDir, "secrets.yaml"), join(configDir, "private/common.yaml"));
  writeFileSync(
    join(configDir, "font.yaml"),
    device("font", "font:\n  - file: fonts/roboto.ttf\n    id: f\n    size: 20\n"),
  );
  writeFileSync(join(configDir, "alias.yaml"), device("alias", "substitutions: !include subs.yaml.inc\n"));
  writeFileSync(join(configDir, "hard.yaml"), device("hard", "packages:\n  common: !include private/common.yaml\n"));
  writeFileSync(join(configDir, "good.yaml"), device("good"));
  writeFileSync(
    join(configDir, "merge.yaml"),
    device("merge").replace("  name: merge\n", "  name: merge\n  <<: !include common/esphome-extra.yaml\n"),
  );
  writeFileSync(join(configDir, "common/esphome-extra.yaml"), "friendly_name: Merged In\ncomment: from a merge key\n");
  sc = await startSidecar({ dataDir, args: ["--no-seed"], env: { FORGE_ESPHOME_BIN: esphomeBin() } });
  api = new Api(sc.url, sc.token);
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" });
  worker = startWorker({ url: sc.url, token: secret, name: "w" });
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "worker online",
  );
  await waitFor(async () => (await devices()).length === 5, "five devices", 60_000);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await sc?.stop();
});

async function devices(): Promise<Device[]> {
  return (await api.json<{ devices: Device[] }>("GET", "/devices")).devices;
}

async function compile(id: string) {
  const r = await api.createJobs({ action: "compile", targets: { devices: [id] } });
  return settledJob(api, r.jobs[0]!.jobId);
}

/** Every file under `dir`, read (the worker's whole state: build folders, downloads, keys). */
function everything(dir: string): string {
  let all = "";
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && statSync(p).size < 4 << 20) all += readFileSync(p, "latin1");
  }
  return all;
}

describe("an alias of secrets.yaml", () => {
  it("gives the device a clear error, and no secret it does not reference ever reaches the worker", async () => {
    const byId = new Map((await devices()).map((d) => [d.id, d]));
    expect(byId.get("font")?.error).toMatch(/fonts\/roboto\.ttf is a secrets file .*never sent to a worker/);
    expect(byId.get("alias")?.error).toMatch(/a secrets file cannot be included \(subs\.yaml\.inc/);
    expect(byId.get("hard")?.error).toMatch(/a secrets file cannot be included \(private\/common\.yaml/);
    for (const id of ["font", "alias", "hard"]) {
      // A compile is refused at once; a validate (which runs even for flagged configs) fails unsent.
      const c = await api.createJobs({ action: "compile", targets: { devices: [id] } });
      expect(c.jobs).toEqual([]);
      expect(c.skipped[0]?.reason).toMatch(/secrets file/);
      const v = await api.createJobs({ action: "validate", targets: { devices: [id] } });
      const job = await settledJob(api, v.jobs[0]!.jobId);
      expect(job).toMatchObject({ state: "failed", phase: "prepare" });
      expect(job.error).toMatch(/cannot be bundled: .*secrets file/);
    }
    const good = await compile("good");
    expect(good.state, await api.log(good.id)).toBe("succeeded");
    const sent = readFileSync(join(worker.stateDir, "builds", "good", "secrets.yaml"), "utf8");
    expect(sent).toContain("correct horse");
    expect(sent).not.toContain("bank_pin");
    expect(everything(worker.stateDir)).not.toContain(BANK_PIN);
  }, 90_000);
});

describe("a merge key include (`<<: !include`)", () => {
  it("is bundled and hashed like any include, with the members the real `esphome bundle` picks", async () => {
    const merge = (await devices()).find((d) => d.id === "merge")!;
    expect(merge).toMatchObject({ friendlyName: "Merged In", error: null, resolvedBy: "esphome" });
    const job = await compile("merge");
    expect(job.state, await api.log(job.id)).toBe("succeeded");
    expect(job.configHash).toBe(merge.configHash);
    const folder = join(worker.stateDir, "builds", "merge");
    const sent = JSON.parse(readFileSync(join(folder, ".forge-files.json"), "utf8")) as string[];
    expect(sent).toEqual(["common/esphome-extra.yaml", "merge.yaml", "secrets.yaml"]);
    const theirs = readBundle(await esphomeBundle(esphomeBin(), join(configDir, "merge.yaml")));
    expect(theirs.files.map((f) => f.path).sort()).toEqual(sent);

    // Editing the merged file changes the device's config hash, so it reads as changed.
    writeFileSync(join(configDir, "common/esphome-extra.yaml"), "friendly_name: Edited\n");
    const edited = await waitFor(
      async () => (await devices()).find((d) => d.id === "merge" && d.friendlyName === "Edited"),
      "the edit to be read",
      60_000,
    );
    expect(edited.configHash).not.toBe(merge.configHash);
  }, 120_000);
});
