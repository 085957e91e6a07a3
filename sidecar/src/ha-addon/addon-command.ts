// `esphome-forge ha-addon`: the Home Assistant add-on's entry point (addon/run.sh execs it). Reads
// the options the Supervisor wrote to /data/options.json, asks the Supervisor for the ingress port
// and the add-on's address, starts the sidecar (API for workers and the integration on port 7052,
// the dashboard on the ingress port for the Supervisor's proxy only, the ESPHome folder of HA's
// config as the config folder, no example devices), then announces it to Home Assistant through
// the Supervisor's discovery, with the admin token, so the integration is set up with one click.
//
// Everything outside the container can be pointed elsewhere for tests: FORGE_ADDON_DATA (/data),
// FORGE_ADDON_CONFIG (the add-on's own config folder, /config), FORGE_ADDON_ESPHOME_DIR
// (/homeassistant/esphome), FORGE_SUPERVISOR_URL (http://supervisor), FORGE_ADDON_API_PORT (7052),
// FORGE_INGRESS_SOURCE (the Supervisor, 172.30.32.2).
//
// Builds run as the build user (the add-on runs as root; see worker-hub/build-user.ts), so the
// local worker's state lives in /data/local-worker, outside the sidecar's 0700 data folder
// (/data/forge) and kept across restarts like it; PlatformIO's toolchains go there too (the
// Dockerfile's PLATFORMIO_CORE_DIR).
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { readAdminTokenFile, type AdminTokenChoice } from "../config/admin-token.js";
import { dataPaths } from "../config/paths.js";
import { zeroconfEnabledByEnv } from "../discovery/zeroconf-advertiser.js";
import { presenceSettingByEnv } from "../presence/presence-switch.js";
import { SUPERVISOR_INGRESS_SOURCE } from "../edge/ingress.js";
import { Sidecar } from "../server.js";
import { ValidationError } from "../util/errors.js";
import { readAddonOptions, type AddonOptions } from "./addon-options.js";
import { applyOptionChanges } from "./option-changes.js";
import { SupervisorClient, type AddonSelfInfo } from "./supervisor-client.js";

/** The discovery service name: the integration's domain. */
export const DISCOVERY_SERVICE = "esphome_forge";
export const ADDON_API_PORT = 7052;

export async function haAddonCommand(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = (m: string) => console.error(`${new Date().toISOString()} ${m}`);
  const supervisorToken = env.SUPERVISOR_TOKEN;
  if (!supervisorToken)
    throw new ValidationError("SUPERVISOR_TOKEN is not set: `ha-addon` runs inside the Home Assistant add-on only");
  const root = env.FORGE_ADDON_DATA ?? "/data";
  const options = readAddonOptions(join(root, "options.json"));
  const supervisor = new SupervisorClient(env.FORGE_SUPERVISOR_URL ?? "http://supervisor", supervisorToken);
  const info = await retry(() => supervisor.selfInfo(), "the add-on's info from the Supervisor", log);

  const paths = dataPaths(join(root, "forge"), env.FORGE_ADDON_ESPHOME_DIR ?? "/homeassistant/esphome");
  mkdirSync(paths.dataDir, { recursive: true });
  const changed = applyOptionChanges(options, paths, join(paths.dataDir, "addon-options-applied.json"));
  if (changed.length) log(`add-on options applied to the settings: ${changed.join(", ")}`);

  const apiPort = Number(env.FORGE_ADDON_API_PORT ?? ADDON_API_PORT);
  const sidecar = await Sidecar.start({
    dataDir: paths.dataDir,
    configDir: paths.configDir,
    host: "0.0.0.0",
    port: apiPort,
    adminToken: adminTokenChoice(options, env.FORGE_ADDON_CONFIG ?? "/config"),
    metricsToken: options.metrics_token
      ? { token: options.metrics_token, source: "the add-on option metrics_token" }
      : null,
    allowedHosts: options.allowed_hosts,
    ingress: {
      port: info.ingress_port,
      host: info.ip_address,
      source: env.FORGE_INGRESS_SOURCE ?? SUPERVISOR_INGRESS_SOURCE,
    },
    // The user's real ESPHome folder: never write example devices into it.
    seed: false,
    localWorkerUser: env.FORGE_LOCAL_WORKER_USER ?? "auto",
    localWorkerStateDir: env.FORGE_LOCAL_WORKER_STATE_DIR ?? join(root, "local-worker"),
    configHistory: options.config_history && env.FORGE_CONFIG_HISTORY !== "off",
    zeroconf: zeroconfEnabledByEnv(env.FORGE_ZEROCONF),
    presence: presenceSettingByEnv(env.FORGE_PRESENCE),
    acceptDatabase: options.accept_database === true,
    log,
  });
  // As `serve`: a full disk that slipped past the handlers is a state, anything else ends the add-on.
  const fatal = (err: unknown) => {
    if (sidecar.absorb(err)) return;
    console.error(`esphome-forge: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  console.log(`Forge for ESPHome add-on: API for workers and Home Assistant on ${sidecar.url}`);
  console.log(`Dashboard for Home Assistant's ingress on ${sidecar.ingressUrl}`);
  // Shown once, in the add-on's log (administrators only): workers' tokens are made with it.
  if (sidecar.admin.created)
    console.log(`Admin token (new, shown only this once; kept in the add-on's data): ${sidecar.admin.token}`);

  void announce(supervisor, info, Number(new URL(sidecar.url).port), sidecar, log);
  await new Promise<void>((done) => {
    const stop = () => void sidecar.stop().then(done);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  return 0;
}

function adminTokenChoice(o: AddonOptions, addonConfigDir: string): AdminTokenChoice | null {
  switch (o.admin_token_source) {
    case "generated":
      return null; // kept in the data folder, generated on the first start
    case "option":
      return { token: o.admin_token!, source: "the add-on option admin_token" };
    case "file": {
      const file = resolve(addonConfigDir, o.admin_token_file!);
      return { token: readAdminTokenFile(file), source: `admin_token_file ${file}` };
    }
  }
}

/** Tells Home Assistant where the sidecar is and how to sign in; retried while the Supervisor is busy. */
async function announce(
  supervisor: SupervisorClient,
  info: AddonSelfInfo,
  port: number,
  sidecar: Sidecar,
  log: (m: string) => void,
): Promise<void> {
  // Asked over loopback (plain HTTP there); Home Assistant reaches the add-on over TLS, pinning this key.
  const local = sidecar.transport.localWorkerServer().url;
  const health = await (await fetch(`${local}/api/v1/health`)).json().catch(() => null);
  const config = {
    host: info.ip_address,
    port,
    token: sidecar.admin.token,
    fingerprint: sidecar.transport.pairingAddress().fingerprint,
    instance_id: (health as { instanceId?: string } | null)?.instanceId ?? null,
    version: info.version,
  };
  try {
    const uuid = await retry(() => supervisor.announce(DISCOVERY_SERVICE, config), "announcing to Home Assistant", log);
    log(`announced to Home Assistant (discovery ${uuid}); accept the offer under Settings → Devices & services`);
  } catch (err) {
    log(
      `could not announce to Home Assistant (${(err as Error).message}); add the integration by hand with the admin token`,
    );
  }
}

async function retry<T>(fn: () => Promise<T>, what: string, log: (m: string) => void, tries = 8): Promise<T> {
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= tries) throw err;
      log(`${what} failed (${(err as Error).message}); retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 8000);
    }
  }
}
