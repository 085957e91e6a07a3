// The add-on's run script (addon/run.sh → `esphome-forge ha-addon`) outside a container: a temp
// folder stands in for /data (with the options.json the Supervisor writes), for HA's config
// folder and for the add-on's own config folder; a fake Supervisor answers the add-on's info and
// records the discovery message. The real sidecar starts from it.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, freePort, tempDir, waitFor } from "../src/devtools/processes.js";
import { startFakeSupervisor, type FakeSupervisor } from "../test-support/fake-supervisor.js";
import { httpRequest } from "../test-support/http-request.js";

const RUN_SH = fileURLToPath(new URL("../../addon/run.sh", import.meta.url));
const PROXY = "127.0.0.2";

let supervisor: FakeSupervisor;
let root: string;
let shims: string;
const running = new Set<ChildProcess>();

interface Addon {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startAddon(options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Addon {
  writeFileSync(join(root, "data", "options.json"), JSON.stringify(options));
  const proc = spawn(RUN_SH, [], {
    env: {
      ...process.env,
      PATH: `${shims}:${process.env.PATH}`,
      SUPERVISOR_TOKEN: supervisor.token,
      FORGE_SUPERVISOR_URL: supervisor.url,
      FORGE_ADDON_DATA: join(root, "data"),
      FORGE_ADDON_CONFIG: join(root, "addon_config"),
      FORGE_ADDON_ESPHOME_DIR: join(root, "homeassistant", "esphome"),
      FORGE_ADDON_API_PORT: "0",
      FORGE_INGRESS_SOURCE: PROXY,
      FORGE_ZEROCONF: "off",
      FORGE_ESPHOME_DEFAULT_PROBE: "off",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  let out = "";
  proc.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) =>
    proc.once("exit", (code) => {
      running.delete(proc);
      r(code);
    }),
  );
  return { proc, output: () => out, exited };
}

async function stop(a: Addon): Promise<number | null> {
  a.proc.kill("SIGTERM");
  return a.exited;
}

const apiUrl = async (a: Addon) =>
  `http://127.0.0.1:${(await waitFor(() => /Home Assistant on https?:\/\/[^:]+:(\d+)/.exec(a.output()), "the add-on's API", 30_000))[1]}`;

let ingressPort: number;
beforeAll(async () => {
  root = tempDir("forge-addon-");
  for (const d of ["data", "addon_config", "homeassistant/esphome", "shims"])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(
    join(root, "homeassistant", "esphome", "hall.yaml"),
    "esphome:\n  name: hall\nesp32:\n  board: esp32dev\nwifi:\n  ssid: x\n  password: y1234567\n",
  );
  // `esphome-forge` as the npm package's bin puts it on PATH in the image.
  shims = join(root, "shims");
  writeFileSync(join(shims, "esphome-forge"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(shims, "esphome-forge"), 0o755);
  ingressPort = await freePort();
  supervisor = await startFakeSupervisor({
    slug: "a1b2c3d4_esphome_forge",
    version: "0.1.0",
    hostname: "a1b2c3d4-esphome-forge",
    ip_address: "127.0.0.1",
    ingress_port: ingressPort,
    ingress_entry: "/api/hassio_ingress/abcdef0123456789",
  });
});
afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await supervisor?.close();
});

describe("addon/run.sh", () => {
  it("starts the sidecar on HA's ESPHome folder, announces it with a working token, and stops on SIGTERM", async () => {
    supervisor.failFirst = 2; // the Supervisor is still busy when the add-on starts
    const addon = startAddon({
      admin_token_source: "generated",
      local_worker_slots: 0,
      trust_policy: "warn",
      allowed_hosts: [],
    });
    const api = await apiUrl(addon);
    const msg = await waitFor(() => supervisor.discoveries[0], "the discovery message", 30_000);
    expect(msg.service).toBe("esphome_forge");
    expect(msg.config).toMatchObject({ host: "127.0.0.1", port: Number(new URL(api).port), version: "0.1.0" });
    const token = msg.config.token as string;
    expect(token.length).toBeGreaterThanOrEqual(32);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const health = (await (await fetch(`${api}/api/v1/health`)).json()) as { instanceId: string };
    expect(msg.config.instance_id).toBe(health.instanceId);
    // The token from the discovery message is the admin token: what HA's config flow will use.
    const info = (await (await fetch(`${api}/api/v1/info`, auth)).json()) as { configDir: string; devices: number };
    expect(info.configDir).toBe(join(root, "homeassistant", "esphome"));
    expect(info.devices).toBe(1);
    // The user's real ESPHome folder gets no example devices; its history is kept in git (config_history).
    const esphomeDir = readdirSync(join(root, "homeassistant", "esphome"));
    expect(esphomeDir.filter((f) => !f.startsWith("."))).toEqual(["hall.yaml"]);
    expect(esphomeDir).toContain(".git");
    expect((await fetch(`${api}/api/v1/workspace`, auth)).status).toBe(200);
    const { settings } = (await (await fetch(`${api}/api/v1/settings`, auth)).json()) as {
      settings: { localWorkerSlots: number; trustPolicy: string };
    };
    expect(settings).toMatchObject({ localWorkerSlots: 0, trustPolicy: "warn" });
    // The dashboard listens on the Supervisor's ingress port, for the ingress proxy only.
    const ingress = `http://127.0.0.1:${ingressPort}`;
    const headers = {
      "X-Ingress-Path": "/api/hassio_ingress/abcdef0123456789",
      "X-Remote-User-Id": "0123456789abcdef",
    };
    expect((await httpRequest(ingress, { path: "/api/v1/info", headers, localAddress: PROXY })).status).toBe(200);
    expect((await httpRequest(ingress, { path: "/api/v1/info", headers, localAddress: "127.0.0.1" })).status).toBe(403);
    expect(existsSync(join(root, "data", "forge", "admin-token"))).toBe(true);
    expect(await stop(addon)).toBe(0);
    // Where builds run as the build user (root, and an ESPHome that user can run), their state is
    // beside the data folder, not in it; otherwise the sidecar says builds run as root, and why.
    const isolation = /the local worker's builds run as esphome-forge-build \(uid \d+\) in (\S+),/.exec(addon.output());
    if (isolation) expect(isolation[1]).toBe(join(root, "data", "local-worker"));
    else expect(addon.output()).toMatch(/build isolation: (WARNING: builds|builds and `esphome config` run as)/);
  });

  it("keeps a setting changed in the dashboard across restarts, and applies an option changed since", async () => {
    const options = { admin_token_source: "generated", local_worker_slots: 0, trust_policy: "warn", allowed_hosts: [] };
    let addon = startAddon(options);
    let api = await apiUrl(addon);
    const token = (await waitFor(() => supervisor.discoveries.at(-1), "discovery")).config.token as string;
    const settings = async () =>
      (
        (await (await fetch(`${api}/api/v1/settings`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          settings: { trustPolicy: string };
        }
      ).settings;
    const patch = await fetch(`${api}/api/v1/settings`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ trustPolicy: "enforce" }),
    });
    expect(patch.status).toBe(200);
    await stop(addon);
    addon = startAddon(options); // same options: the dashboard's change stays
    api = await apiUrl(addon);
    expect((await settings()).trustPolicy).toBe("enforce");
    await stop(addon);
    addon = startAddon({ ...options, trust_policy: "off" }); // the option changed: it wins
    api = await apiUrl(addon);
    expect((await settings()).trustPolicy).toBe("off");
    await stop(addon);
  });

  it("reads the admin token from a file in the add-on's config folder", async () => {
    const token = "token-from-a-file-0123456789abcdefghijk";
    writeFileSync(join(root, "addon_config", "forge-token"), `${token}\n`);
    const addon = startAddon({
      admin_token_source: "file",
      admin_token_file: "forge-token",
      local_worker_slots: 0,
      trust_policy: "warn",
      allowed_hosts: [],
      config_history: false,
    });
    const api = await apiUrl(addon);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    expect((await fetch(`${api}/api/v1/info`, auth)).status).toBe(200);
    // config_history off: no history routes (the folder's git repository is left alone).
    expect((await fetch(`${api}/api/v1/workspace`, auth)).status).toBe(404);
    expect(
      (await waitFor(() => supervisor.discoveries.find((d) => d.config.token === token), "discovery")).service,
    ).toBe("esphome_forge");
    await stop(addon);
  });

  it("refuses to start with options it cannot use, naming the option", async () => {
    const missing = startAddon({
      admin_token_source: "option",
      local_worker_slots: 0,
      trust_policy: "warn",
      allowed_hosts: [],
    });
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toContain("admin_token: admin_token_source is `option` but admin_token is empty");
    const short = startAddon({
      admin_token_source: "option",
      admin_token: "short",
      local_worker_slots: 0,
      trust_policy: "warn",
      allowed_hosts: [],
    });
    expect(await short.exited).toBe(1);
    expect(short.output()).toContain("the admin token from the add-on option admin_token is 5 characters");
    const outside = startAddon({}, { SUPERVISOR_TOKEN: "" });
    expect(await outside.exited).toBe(1);
    expect(outside.output()).toContain("runs inside the Home Assistant add-on only");
  });
});
