// Builds never reach the sidecar's credentials: a real sidecar, its real built-in local worker and
// a stand-in build that behaves like a hostile external component — it prints its environment and
// tries to read the admin token, the worker token, the database, the signing keys and the worker's
// own /proc entries. Run as root (as on the development machine and in CI), the local worker drops
// to the build user and every attempt is refused; run as another user, the sidecar says plainly
// that there is no such isolation. `!env_var` never reads the sidecar's environment either.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { STATE_ROOT as LOCAL_STATE_ROOT } from "../src/worker-hub/local-worker-state.js";
import { settledJob } from "../test-support/fleet-jobs.js";
import { esphomeBin } from "../test-support/inventory-fixtures.js";
import {
  BUILD_USER,
  isRoot,
  reachableNode,
  releaseNode,
  sharedTempDir,
  spyReport,
  standinCommand,
} from "../test-support/isolation.js";

/** What a build may see of Forge's variables: the job's own description (phase-commands.ts). */
const JOB_VARIABLES = new Set([
  "FORGE_PHASE",
  "FORGE_JOB_ID",
  "FORGE_DEVICE_ID",
  "FORGE_DEVICE_NAME",
  "FORGE_CONFIG",
  "FORGE_BUILD_DIR",
  "FORGE_ADDRESS",
  "FORGE_FIRMWARE",
  "FORGE_ESPHOME_VERSION",
]);
const CANARY = "canary-cloud-credential-9f3b1c";

let sc: SidecarProc;
let api: Api;
let stateRoot: string;
const node = reachableNode();

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "plain" }]);
  stateRoot = sharedTempDir("forge-local-state-");
  sc = await startSidecar({
    dataDir,
    node,
    localSlots: 1,
    args: ["--no-seed", "--build-command", standinCommand(node), "--local-worker-state-dir", join(stateRoot, "worker")],
    // Secrets a user might have exported in the shell that started the sidecar.
    env: { AWS_SECRET_ACCESS_KEY: CANARY, FORGE_WORKER_TOKEN: CANARY, FORGE_ESPHOME_BIN: "" },
  });
  api = new Api(sc.url, sc.token);
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "the local worker online",
  );
}, 60_000);
afterAll(async () => {
  await sc?.stop();
  rmSync(stateRoot, { recursive: true, force: true });
  releaseNode(node);
});

/** Adds a device whose stand-in build prints its environment and tries to read `files`. */
async function spyBuild(id: string, files: string[], workerTags?: string[]): Promise<{ log: string; state: string }> {
  writeFileSync(
    join(sc.dataDir, "config", `${id}.yaml`),
    [
      `# standin: dump-env=1 try-read=${files.join(",")}`,
      "esphome:",
      `  name: ${id}`,
      "esp32:",
      "  board: esp32dev",
      "",
    ].join("\n"),
  );
  await waitFor(
    async () => (await api.json<{ devices: { id: string }[] }>("GET", "/devices")).devices.some((d) => d.id === id),
    `device ${id}`,
  );
  const r = await api.createJobs({ action: "compile", targets: { devices: [id] }, params: { workerTags } });
  const job = await settledJob(api, r.jobs[0]!.jobId);
  return { log: await api.log(job.id), state: job.state };
}

describe("a build on the built-in local worker", () => {
  it("sees an allow-listed environment: no token, no FORGE_* setting, nothing the sidecar was given", async () => {
    const { log, state } = await spyBuild("envspy", ["/proc/{ppid}/environ", "/proc/{ppid}/cmdline"]);
    expect(state, log).toBe("succeeded");
    const { env, reads } = spyReport(log);
    expect(env.get("FORGE_PHASE")).toBe("compile");
    const forge = [...env.keys()].filter((k) => k.startsWith("FORGE_") && !k.startsWith("FORGE_STANDIN_"));
    expect(forge.filter((k) => !JOB_VARIABLES.has(k))).toEqual([]);
    expect(env.has("AWS_SECRET_ACCESS_KEY")).toBe(false);
    const workerToken = readFileSync(join(sc.dataDir, "local-worker.token"), "utf8").trim();
    for (const secret of [workerToken, sc.token, CANARY]) expect(log).not.toContain(secret);
    // The worker's command line (printed above, so checked too) names a token file, never the token.
    expect(reads.get(`/proc/${ppidOf(log)}/cmdline`)).toMatch(/^ok/);
    expect(log).toContain("--token-file");
    if (isRoot) {
      expect(env.get("USER")).toBe(BUILD_USER);
      expect(env.get("HOME")).not.toBe("/root");
      // Same user as the worker, but the worker gave up root: its environment is out of reach.
      expect(reads.get(`/proc/${ppidOf(log)}/environ`)).toMatch(/^refused/);
    }
  }, 60_000);

  it("cannot read the admin token, the worker token, the database or the signing keys", async () => {
    const keysDir = join(sc.dataDir, "trust", "keys");
    const keys = readdirSync(keysDir).filter((f) => f.endsWith(".key"));
    expect(keys.length).toBeGreaterThan(0);
    const files = [
      join(sc.dataDir, "admin-token"),
      join(sc.dataDir, "local-worker.token"),
      join(sc.dataDir, "forge.db"),
      join(sc.dataDir, "forge.db-wal"),
      join(sc.dataDir, "instance-id"),
      ...keys.map((k) => join(keysDir, k)),
    ];
    const { log, state } = await spyBuild("filespy", files);
    expect(state, log).toBe("succeeded");
    const { reads } = spyReport(log);
    if (!isRoot) {
      // Not root: builds run as the sidecar's own user, and the sidecar says so.
      expect(sc.output()).toMatch(/builds and `esphome config` run as \S+, the sidecar's own user, and can read/);
      return;
    }
    expect(sc.output()).toContain(`the local worker's builds run as ${BUILD_USER}`);
    for (const f of files) expect(reads.get(f), f).toBe("refused EACCES");
    expect(log).not.toContain(sc.token);
    // Its state folder is the build user's, private, and outside the data folder.
    const st = statSync(join(stateRoot, "worker"));
    expect(st.uid).not.toBe(0);
    expect(st.mode & 0o777).toBe(0o700);
  }, 60_000);
});

describe("a build on a remote worker", () => {
  it("gets the same allow-list, and the worker's command line shows no token", async () => {
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "remote" });
    const w = startWorker({
      url: sc.url,
      token: secret,
      name: "remote",
      tags: ["remote"],
      env: { SECRET_CANARY: CANARY },
    });
    try {
      await waitFor(
        async () =>
          (await api.json<{ workers: { name: string; online: boolean }[] }>("GET", "/workers")).workers.some(
            (x) => x.name === "remote" && x.online,
          ),
        "the remote worker online",
      );
      const { log, state } = await spyBuild("remotespy", ["/proc/{ppid}/cmdline"], ["remote"]);
      expect(state, log).toBe("succeeded");
      const { env, reads } = spyReport(log);
      expect(env.get("FORGE_PHASE")).toBe("compile");
      expect([...env.keys()].filter((k) => k.startsWith("FORGE_") && !JOB_VARIABLES.has(k))).toEqual([]);
      expect(env.has("SECRET_CANARY")).toBe(false);
      expect(reads.get(`/proc/${ppidOf(log)}/cmdline`)).toMatch(/^ok/);
      expect(log).toContain("--token ***");
      expect(log).not.toContain(secret);
      expect(log).not.toContain(CANARY);
    } finally {
      await w.stop();
    }
  }, 60_000);
});

describe("the local worker's state folder", () => {
  it("takes over an older <data>/local-worker, and is removed once its sidecar's data folder is gone", async () => {
    const start = async (dataDir: string) => {
      const p = await startSidecar({
        dataDir,
        node,
        localSlots: 1,
        args: ["--no-seed", "--build-command", standinCommand(node)],
        env: { FORGE_ESPHOME_BIN: "" },
      });
      const a = new Api(p.url, p.token);
      const w = await waitFor(
        async () =>
          (await a.json<{ workers: { id: string; online: boolean }[] }>("GET", "/workers")).workers.find(
            (x) => x.online,
          ),
        "the local worker online",
      );
      return { p, workerId: w.id };
    };
    const first = tempDir();
    mkdirSync(join(first, "local-worker"), { recursive: true });
    writeFileSync(
      join(first, "local-worker", "worker.json"),
      JSON.stringify({ workerId: "migrated-worker-1", createdAt: new Date().toISOString() }),
    );
    const a = await start(first);
    const id = readFileSync(join(first, "instance-id"), "utf8").trim();
    const state = join(LOCAL_STATE_ROOT, id);
    try {
      // Still the same worker (id, and so its trust key and warm builds), now in the build user's folder.
      expect(a.workerId).toBe("migrated-worker-1");
      if (!isRoot) {
        expect(existsSync(join(first, "local-worker", "worker.json"))).toBe(true);
        return;
      }
      expect(a.p.output()).toContain(`local worker: moved its state from ${join(first, "local-worker")}`);
      expect(statSync(state).uid).not.toBe(0);
      expect(existsSync(join(state, "worker.json"))).toBe(true);
    } finally {
      await a.p.stop();
    }
    if (!isRoot) return;
    rmSync(first, { recursive: true, force: true });
    const b = await start(tempDir());
    try {
      expect(existsSync(state)).toBe(false);
      expect(b.p.output()).toContain(`removed the build folders of a sidecar whose data folder ${first} is gone`);
    } finally {
      await b.p.stop();
      const own = readFileSync(join(b.p.dataDir, "instance-id"), "utf8").trim();
      rmSync(join(LOCAL_STATE_ROOT, own), { recursive: true, force: true });
      rmSync(join(LOCAL_STATE_ROOT, `${own}.data-dir`), { force: true });
    }
  }, 90_000);
});

describe("when the build user cannot run the build", () => {
  it("the local worker falls back to root and the sidecar says so at start (and hides its admin token)", async () => {
    // A build command only root can start: it lies in a 0700 folder of root's.
    const privateDir = tempDir("forge-private-");
    const script = join(privateDir, "build.sh");
    writeFileSync(script, `#!/bin/sh\n${standinCommand(node)}\n`, { mode: 0o755 });
    const dataDir = tempDir();
    const other = await startSidecar({
      dataDir,
      localSlots: 1,
      args: ["--no-seed", "--build-command", `exec ${script}`, "--admin-token", `cmdline-${"t".repeat(40)}`],
      env: { FORGE_ESPHOME_BIN: "" },
    });
    try {
      // `ps` (any local user, builds included) never shows the admin token given as a flag.
      const cmdline = readFileSync(`/proc/${other.proc.pid}/cmdline`, "utf8");
      expect(cmdline).toContain("--admin-token ***");
      expect(cmdline).not.toContain(`cmdline-${"t".repeat(40)}`);
      const a = new Api(other.url, other.token);
      await waitFor(
        async () => (await a.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
        "the local worker online",
      );
      if (!isRoot) {
        expect(other.output()).toMatch(/builds and `esphome config` run as \S+, the sidecar's own user/);
        return;
      }
      expect(other.output()).toMatch(
        new RegExp(
          `WARNING: builds and \`esphome config\` run as root \\(${BUILD_USER} cannot run exec ${script}: .*Permission denied`,
        ),
      );
      expect(statSync(join(dataDir, "local-worker")).isDirectory()).toBe(true);
    } finally {
      await other.stop();
    }
  }, 60_000);
});

describe("the inventory's own `esphome config`", () => {
  it("runs as the build user on a copy of the device's files, out of reach of the data folder", async () => {
    // An ESPHome stand-in the build user can run, reporting what it saw to a file we can read.
    const shared = sharedTempDir("forge-inventory-spy-");
    chmodSync(shared, 0o1777);
    const wrapper = join(shared, "esphome");
    writeFileSync(wrapper, `#!/bin/sh\n${standinCommand(node)} "$@"\n`, { mode: 0o755 });
    const reportFile = join(shared, "report.txt");
    const dataDir = tempDir();
    mkdirSync(join(dataDir, "config"));
    const files = ["admin-token", "forge.db", "local-worker.token"].map((f) => join(dataDir, f));
    writeFileSync(
      join(dataDir, "config", "probe.yaml"),
      `# standin: dump-env=1 try-read=${files.join(",")},secrets.yaml report-file=${reportFile}\n` +
        "esphome:\n  name: probe\nesp32:\n  board: esp32dev\nwifi:\n  ssid: !secret ssid\n",
    );
    writeFileSync(join(dataDir, "config", "secrets.yaml"), 'ssid: "lab"\nbank_pin: "never-copied"\n');
    const other = await startSidecar({
      dataDir,
      node,
      args: ["--no-seed", "--esphome", wrapper, "--local-worker-state-dir", join(shared, "state")],
    });
    try {
      const a = new Api(other.url, other.token);
      const device = await waitFor(
        async () =>
          (await a.json<{ devices: { id: string; resolvedBy: string | null }[] }>("GET", "/devices")).devices.find(
            (d) => d.id === "probe" && d.resolvedBy,
          ),
        "the probe device read",
        60_000,
      );
      const { env, reads } = spyReport(readFileSync(reportFile, "utf8"));
      expect(env.has("FORGE_ADMIN_TOKEN")).toBe(false);
      if (!isRoot) {
        expect(other.output()).toMatch(/builds and `esphome config` run as \S+, the sidecar's own user/);
        return;
      }
      expect(device.resolvedBy, other.output()).toBe("esphome");
      expect(other.output()).toContain(`\`esphome config\` for the inventory runs as ${BUILD_USER} too`);
      expect(env.get("USER")).toBe(BUILD_USER);
      expect(env.get("ESPHOME_DATA_DIR")).toMatch(/inventory\/probe$/);
      for (const f of files) expect(reads.get(f), f).toBe("refused EACCES");
      // It ran on a copy holding only the secrets the device uses, which is gone afterwards.
      const copy = env.get("PWD") ?? "";
      expect(copy).toMatch(/forge-config-/);
      expect(reads.get("secrets.yaml")).toMatch(/^ok/);
      const report = readFileSync(reportFile, "utf8");
      expect(report).toContain("lab");
      expect(report).not.toContain("never-copied");
      expect(existsSync(copy)).toBe(false);
    } finally {
      await other.stop();
      rmSync(shared, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("!env_var in a device YAML", () => {
  it("never expands from the sidecar's environment: the admin token is not a device name", async () => {
    const dataDir = tempDir();
    const adminToken = `env-admin-token-${"x".repeat(40)}`;
    mkdirSync(join(dataDir, "config"));
    writeFileSync(
      join(dataDir, "config", "envvar.yaml"),
      "esphome:\n  name: !env_var FORGE_ADMIN_TOKEN\nesp32:\n  board: esp32dev\n",
    );
    const other = await startSidecar({
      dataDir,
      args: ["--no-seed"],
      env: { FORGE_ADMIN_TOKEN: adminToken, FORGE_ESPHOME_BIN: esphomeBin() },
    });
    try {
      const a = new Api(other.url, adminToken);
      type Dev = { id: string; name: string | null; error: string | null };
      const device = await waitFor(
        async () =>
          (await a.json<{ devices: Dev[] }>("GET", "/devices")).devices.find(
            (d) => d.id === "envvar" && (d.error || d.name),
          ),
        "the envvar device read",
        60_000,
      );
      expect(device.name).not.toBe(adminToken);
      // The real `esphome config` ran with the scrubbed environment and found no such variable.
      expect(device.error).toMatch(/FORGE_ADMIN_TOKEN/);
      expect(JSON.stringify(await a.json("GET", "/devices"))).not.toContain(adminToken);
    } finally {
      await other.stop();
    }
  }, 90_000);
});

/** The worker's pid as the stand-in saw it (its parent), from the /proc paths it tried. */
function ppidOf(log: string): string {
  return /standin: read \/proc\/(\d+)\//.exec(log)?.[1] ?? "none";
}
