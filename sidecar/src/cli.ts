#!/usr/bin/env node
// `esphome-forge`: serve (the sidecar), worker (a build worker), token (worker tokens), verify.
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { hideSecretArgs } from "./isolation/hide-args.js";
import { SIDECAR_VERSION } from "./util/version.js";
import { execWithSidecarFlags } from "./util/runtime-tuning.js";
// Everything else is imported by the command that needs it: `serve` restarts itself with its heap
// flags before loading the sidecar, and a worker never loads the database or zeroconf.

const USAGE = `Forge for ESPHome ${SIDECAR_VERSION}

Usage:
  esphome-forge serve [options]          start the sidecar (REST + events API, queue, built-in worker)
      --data-dir DIR        data folder (default $FORGE_DATA_DIR or ./.data)
      --config-dir DIR      ESPHome config folder (default <data-dir>/config)
      --host HOST           listen address (default 127.0.0.1; 0.0.0.0 for the LAN)
      --port N              port (default 7052; 0 picks a free one)
      --admin-token-file F  read the admin token (32+ characters) from a file (also $FORGE_ADMIN_TOKEN_FILE);
                            default $FORGE_ADMIN_TOKEN, else generated once into <data-dir>/admin-token and
                            printed only then (--admin-token TOKEN works too, but shows in the process list)
      --allowed-hosts LIST  host names the sidecar answers to besides IP addresses, localhost and this
                            machine's name (comma-separated, *.example.com for sub-domains; $FORGE_ALLOWED_HOSTS)
      --allowed-origins L   browser origins besides the sidecar's own that may open the events socket, e.g.
                            https://forge.example.com behind a reverse proxy ($FORGE_ALLOWED_ORIGINS)
      --request-timeout-ms N  a request's headers and body must arrive within N ms (default 30000)
      --insecure-transport  accept plain HTTP from other machines too (default: TLS with the sidecar's own
                            key for everyone but this machine; worker tokens and build secrets would cross
                            the network in the clear, so the dashboard and Home Assistant warn about it)
      --tls-cert FILE --tls-key FILE  serve your own certificate (PEM; e.g. one a CA issued for a public
                            name) instead of the self-signed one; clients then verify it with their CAs
      --auto-approve-workers  approve new workers and new worker keys without an admin (first setup only;
                            each approval is logged); the setting autoApproveWorkers
      --metrics-token-file F  a read-only token (32+ characters) for GET /api/v1/metrics, for Prometheus
                            or KEDA (also $FORGE_METRICS_TOKEN_FILE, $FORGE_METRICS_TOKEN); the admin token
                            always works there too
      --ingress-port N      also listen for Home Assistant's ingress proxy on this port (the add-on does);
                            only requests from --ingress-source are answered there, as the HA user it names
      --ingress-host HOST   the ingress listener's address (default: --host)
      --ingress-source IP   the ingress proxy's address (default 172.30.32.2, the Supervisor)
      --local-slots N       slots of the built-in local worker (0 = off)
      --local-worker-user U who its builds run as when the sidecar runs as root: auto (default: the
                            system user esphome-forge-build, created when missing), none (root), or
                            a user name ($FORGE_LOCAL_WORKER_USER)
      --local-worker-state-dir DIR  its state and build folders (default: as that user
                            /var/lib/esphome-forge/local-worker/<instance id>, else
                            <data-dir>/local-worker; $FORGE_LOCAL_WORKER_STATE_DIR)
      --lease-ms N          job lease length
      --build-command CMD   stand-in build command for tests and benchmarks (never the default)
      --esphome PATH        the esphome executable (default: $FORGE_ESPHOME_BIN, then PATH)
      --no-seed             do not write example devices into an empty config folder
      --no-config-history   do not keep the config folder's history in git (also FORGE_CONFIG_HISTORY=off)
      --no-zeroconf         do not advertise _esphome-forge._tcp on the LAN (also FORGE_ZEROCONF=off);
                            a sidecar listening on loopback only is never advertised
      --no-presence         do not browse mDNS for ESPHome devices (_esphomelib._tcp); FORGE_PRESENCE=off
                            likewise, FORGE_PRESENCE=on browses even on loopback or with zeroconf off.
                            By default it browses when zeroconf is on and it listens beyond loopback
      --accept-database     start although forge.db is blank or older than the state anchor
                            (<data-dir>/state/anchor.json); flashes the anchor recorded are never re-run
      Free space below $FORGE_DISK_RESERVE_MB (default 64) MiB counts as a full disk.
  esphome-forge worker pair [--host NAME]   a one-time pairing code and the command that joins a worker
  esphome-forge worker join LINK [--slots N] [--tags a,b] [--name NAME] [--state-dir DIR]   (on the worker)
  esphome-forge worker [--state-dir DIR]    start a joined worker (see \`worker --help\`)
  esphome-forge workers list|approve ID|reject ID|revoke ID --reason TEXT|roles ID builder,flasher
                                         enrolment decisions and roles
  esphome-forge tls show [--data-dir DIR] | rotate    the sidecar's TLS key fingerprint; a new key
  esphome-forge token create NAME | list | revoke ID   [--data-dir DIR]
  esphome-forge verify FIRMWARE --bundle FILE [--proof FILE] [--trusted-root FILE] [--key FILE] [--json]
                            offline check: exit 0 verified, 1 not verified, 2 error (see --help there)
  esphome-forge trust status|keys|rotate ROLE|retire HINT|revoke …|export|import FILE
                            content-trust admin over the REST API (see \`trust --help\`)
  esphome-forge ota-keys list|create|rotate|retire DIGEST|public DIGEST|yaml …
                            device signing keys for ESPHome's signed OTA (see \`ota-keys --help\`)
  esphome-forge ha-addon                 the Home Assistant add-on's entry point (reads /data/options.json)
  esphome-forge --version
`;

async function serve(argv: string[]): Promise<number> {
  hideSecretArgs(["esphome-forge", "serve"], argv, ["--admin-token"]); // builds can read `ps`
  // Everything the sidecar creates (database, firmware, keys, ESPHome's own output) is its alone.
  process.umask(0o077);
  const { values } = parseArgs({
    args: argv,
    options: {
      "data-dir": { type: "string" },
      "config-dir": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "7052" },
      "admin-token": { type: "string" },
      "admin-token-file": { type: "string" },
      "allowed-hosts": { type: "string" },
      "allowed-origins": { type: "string" },
      "request-timeout-ms": { type: "string" },
      "insecure-transport": { type: "boolean", default: false },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "auto-approve-workers": { type: "boolean", default: false },
      "metrics-token-file": { type: "string" },
      "ingress-port": { type: "string" },
      "ingress-host": { type: "string" },
      "ingress-source": { type: "string" },
      "local-slots": { type: "string" },
      "local-worker-user": { type: "string" },
      "local-worker-state-dir": { type: "string" },
      "lease-ms": { type: "string" },
      "build-command": { type: "string" },
      esphome: { type: "string" },
      "no-seed": { type: "boolean", default: false },
      "no-config-history": { type: "boolean", default: false },
      "no-zeroconf": { type: "boolean", default: false },
      "no-presence": { type: "boolean", default: false },
      "accept-database": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0–65535, got ${values.port}`);
  // Restart in place with the sidecar's heap flags (see the module) before its modules load.
  execWithSidecarFlags();
  const { SettingsPatch } = await import("@esphome-forge/shared");
  const { adminTokenFromArgs } = await import("./config/admin-token.js");
  const { zeroconfEnabledByEnv } = await import("./discovery/zeroconf-advertiser.js");
  const { presenceSettingByEnv } = await import("./presence/presence-switch.js");
  const { metricsTokenFromArgs } = await import("./config/metrics-token.js");
  const { SUPERVISOR_INGRESS_SOURCE } = await import("./edge/ingress.js");
  const { Sidecar } = await import("./server.js");
  const overrides = SettingsPatch.safeParse({
    ...(values["local-slots"] !== undefined ? { localWorkerSlots: Number(values["local-slots"]) } : {}),
    ...(values["lease-ms"] !== undefined ? { leaseMs: Number(values["lease-ms"]) } : {}),
    ...(values["auto-approve-workers"] ? { autoApproveWorkers: true } : {}),
    // Like FORGE_DISK_RESERVE_MB, for small data folders: wins over the stored setting for this run.
    ...(process.env.FORGE_BUILD_MIN_FREE_DISK_MB
      ? { buildMinFreeDiskMb: Number(process.env.FORGE_BUILD_MIN_FREE_DISK_MB) }
      : {}),
  });
  if (!overrides.success)
    throw new UsageError(overrides.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const requestTimeoutMs =
    values["request-timeout-ms"] === undefined ? undefined : Number(values["request-timeout-ms"]);
  if (requestTimeoutMs !== undefined && !(Number.isInteger(requestTimeoutMs) && requestTimeoutMs >= 1000))
    throw new UsageError(`--request-timeout-ms must be an integer ≥ 1000, got ${values["request-timeout-ms"]}`);
  const adminToken = adminTokenFromArgs(
    { token: values["admin-token"], file: values["admin-token-file"] },
    process.env,
  );
  const ingressPort = values["ingress-port"] === undefined ? null : Number(values["ingress-port"]);
  if (ingressPort !== null && !(Number.isInteger(ingressPort) && ingressPort >= 0 && ingressPort <= 65535))
    throw new UsageError(`--ingress-port must be 0–65535, got ${values["ingress-port"]}`);
  if (values["ingress-source"] !== undefined && isIP(values["ingress-source"]) === 0)
    throw new UsageError(`--ingress-source must be an IP address, got ${values["ingress-source"]}`);
  const sidecar = await Sidecar.start({
    dataDir: resolve(values["data-dir"] ?? process.env.FORGE_DATA_DIR ?? ".data"),
    configDir: values["config-dir"] ? resolve(values["config-dir"]) : undefined,
    host: values.host!,
    port,
    adminToken,
    allowedHosts: list(values["allowed-hosts"] ?? process.env.FORGE_ALLOWED_HOSTS),
    allowedOrigins: list(values["allowed-origins"] ?? process.env.FORGE_ALLOWED_ORIGINS),
    requestTimeoutMs,
    insecureTransport: values["insecure-transport"],
    tlsCertFile: values["tls-cert"] ? resolve(values["tls-cert"]) : null,
    tlsKeyFile: values["tls-key"] ? resolve(values["tls-key"]) : null,
    metricsToken: metricsTokenFromArgs(values["metrics-token-file"], process.env),
    ingress:
      ingressPort === null
        ? null
        : {
            port: ingressPort,
            host: values["ingress-host"] ?? values.host!,
            source: values["ingress-source"] ?? SUPERVISOR_INGRESS_SOURCE,
          },
    overrides: overrides.data,
    buildCommand: values["build-command"] ?? null,
    esphomeBin: values.esphome ?? null,
    seed: !values["no-seed"],
    localWorkerUser: values["local-worker-user"] ?? process.env.FORGE_LOCAL_WORKER_USER ?? "auto",
    localWorkerStateDir: stateDirArg(values["local-worker-state-dir"] ?? process.env.FORGE_LOCAL_WORKER_STATE_DIR),
    configHistory: !values["no-config-history"] && process.env.FORGE_CONFIG_HISTORY !== "off",
    zeroconf: !values["no-zeroconf"] && zeroconfEnabledByEnv(process.env.FORGE_ZEROCONF),
    presence: values["no-presence"] ? "off" : presenceSettingByEnv(process.env.FORGE_PRESENCE),
    acceptDatabase: values["accept-database"],
    log: (m) => console.error(`${new Date().toISOString()} ${m}`),
  });
  // The last net under every write: a full disk that slipped past the handlers is a state, not a crash.
  // Anything else still ends the process, as it would without this handler.
  const fatal = (err: unknown) => {
    if (sidecar.absorb(err)) return;
    console.error(`esphome-forge: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  // The lines scripts and tests read; everything else goes to stderr. The token itself is shown
  // only on the start that generated it.
  const { admin } = sidecar;
  if (admin.created) {
    console.log(`Admin token (new, shown only this once; saved to ${admin.source}): ${admin.token}`);
  } else {
    console.log(`Admin token: from ${admin.source} (not shown)`);
    if (admin.source === "--admin-token")
      console.error("warning: --admin-token is visible to every user in the process list; prefer --admin-token-file");
  }
  console.log(`TLS key fingerprint (sha256): ${sidecar.transport.tls.fingerprint}`);
  console.log(`Forge for ESPHome sidecar listening on ${sidecar.url}`);
  if (sidecar.ingressUrl) console.log(`Home Assistant ingress listening on ${sidecar.ingressUrl}`);
  await new Promise<void>((resolveStop) => {
    const stop = () => void sidecar.stop().then(resolveStop);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  return 0;
}

async function token(argv: string[]): Promise<number> {
  const { dataPaths } = await import("./config/paths.js");
  const { openStateDatabase } = await import("./durability/database-open.js");
  const { WorkerTokens } = await import("./worker-hub/worker-tokens.js");
  const { systemClock } = await import("./util/clock.js");
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "data-dir": { type: "string" } },
  });
  const paths = dataPaths(resolve(values["data-dir"] ?? process.env.FORGE_DATA_DIR ?? ".data"));
  const db = openStateDatabase(paths);
  try {
    const tokens = new WorkerTokens(db, systemClock);
    const [sub, arg] = positionals;
    if (sub === "create" && arg) {
      const { token: t, secret } = tokens.create(arg);
      console.log(`Created worker token ${t.id} (${t.name}). Shown once:\n${secret}`);
    } else if (sub === "list") {
      for (const t of tokens.list())
        console.log(
          `${t.id}\t${t.name}\t${t.revokedAt ? `revoked ${t.revokedAt}` : "active"}\tlast used ${t.lastUsedAt ?? "never"}`,
        );
    } else if (sub === "revoke" && arg) {
      tokens.revoke(arg);
      console.log(
        `Revoked worker token ${arg}; connected workers using it are refused on their next connection (the REST API disconnects them at once).`,
      );
    } else throw new UsageError("token: expected `create NAME`, `list` or `revoke ID`");
    return 0;
  } finally {
    db.close();
  }
}

class UsageError extends Error {}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

function stateDirArg(dir: string | undefined): string | null {
  return dir ? resolve(dir) : null;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case "worker": {
      if (rest[0] === "pair") {
        const { pairCommand } = await import("./worker-hub/workers-cli.js");
        return pairCommand(rest.slice(1));
      }
      const { workerCommand } = await import("./build-worker/worker-cli.js");
      return workerCommand(rest);
    }
    case "workers": {
      const { workersCommand } = await import("./worker-hub/workers-cli.js");
      return workersCommand(rest);
    }
    case "tls": {
      const { tlsCommand } = await import("./edge/tls-cli.js");
      return tlsCommand(rest);
    }
    case "token":
      return token(rest);
    case "verify": {
      const { verifyCommand } = await import("./trust/cli/verify-cli.js");
      return verifyCommand(rest);
    }
    case "trust": {
      const { trustCommand } = await import("./trust/cli/trust-cli.js");
      return trustCommand(rest);
    }
    case "ha-addon": {
      // As `serve`: the sidecar's files are its alone, and it runs with its heap flags.
      process.umask(0o077);
      execWithSidecarFlags();
      const { haAddonCommand } = await import("./ha-addon/addon-command.js");
      return haAddonCommand();
    }
    case "ota-keys": {
      const { otaKeysCommand } = await import("./trust/cli/ota-keys-cli.js");
      return otaKeysCommand(rest);
    }
    case "--version":
    case "version":
      console.log(SIDECAR_VERSION);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // `serve`, the add-on and a running worker end by themselves (signals); everything else is done now.
    const longRunning =
      ["serve", "ha-addon"].includes(process.argv[2] ?? "") ||
      (process.argv[2] === "worker" && !["pair", "rotate-key"].includes(process.argv[3] ?? ""));
    if (code !== 0 || !longRunning) process.exitCode = code;
    if (!longRunning) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(`esphome-forge: ${(err as Error).message}\nRun \`esphome-forge --help\` for usage.`);
      process.exit(2);
    }
    // Known errors (not found, validation, …) carry a code and a message written for people.
    const known = typeof (err as { code?: unknown }).code === "string";
    console.error(`esphome-forge: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
    process.exit(1);
  },
);
