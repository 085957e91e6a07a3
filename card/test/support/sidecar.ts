// Starts a real sidecar process (the built CLI) on loopback with its local worker and the
// stand-in build command, in a fresh data folder whose config folder holds the given devices.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SIDECAR_CLI, STANDIN } from "./paths.ts";

export interface RunningSidecar {
  url: string;
  /** The ingress listener (started with `ingressSource`), else null. */
  ingressUrl: string | null;
  token: string;
  dataDir: string;
  output(): string;
  /** `keepData`: leave the data folder for a restart on it (see `startSidecar`'s `dataDir`). */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startSidecar(
  devices: Record<string, string>,
  /** `dataDir` + `port`: start again on the data and address of a stopped sidecar; `env`: extra environment;
   *  `ingressSource`: also listen for an ingress proxy connecting from that address. */
  opts: {
    slots?: number;
    token?: string;
    dataDir?: string;
    port?: number;
    env?: NodeJS.ProcessEnv;
    ingressSource?: string;
  } = {},
): Promise<RunningSidecar> {
  if (!existsSync(SIDECAR_CLI))
    throw new Error(`${SIDECAR_CLI} is missing: build the sidecar first (npx tsc -b, or npm test).`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "forge-card-test-"));
  const configDir = join(dataDir, "config");
  mkdirSync(configDir, { recursive: true });
  for (const [file, yaml] of Object.entries(devices)) writeFileSync(join(configDir, file), yaml);
  const token = opts.token ?? "card-test-token-0123456789abcdef0123";
  const args = [
    SIDECAR_CLI,
    "serve",
    "--data-dir",
    dataDir,
    "--port",
    String(opts.port ?? 0),
    "--host",
    "127.0.0.1",
    "--admin-token",
    token,
    "--local-slots",
    String(opts.slots ?? 2),
    "--no-seed",
    "--build-command",
    `"${process.execPath}" "${STANDIN}"`,
    ...(opts.ingressSource ? ["--ingress-port", "0", "--ingress-source", opts.ingressSource] : []),
  ];
  const proc: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORGE_ZEROCONF: "off", ...opts.env },
  });
  let out = "";
  proc.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidecar did not start in 30 s:\n${out}`)), 30_000);
    proc.stdout!.on("data", () => {
      const m = /sidecar listening on (http:\/\/\S+)/.exec(out);
      const ingressReady = !opts.ingressSource || out.includes("ingress listening on");
      if (m && out.includes("Admin token:") && ingressReady) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`sidecar exited before it was ready:\n${out}`)));
  });
  return {
    url,
    ingressUrl: /ingress listening on (http:\/\/\S+)/.exec(out)?.[1] ?? null,
    token,
    dataDir,
    output: () => out,
    async stop(stopOpts = {}) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
      if (!stopOpts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A device YAML as ESPHome writes it, with optional stand-in knobs. */
export function deviceYaml(
  name: string,
  friendly: string,
  opts: { platform?: string; knobs?: string; tags?: string[]; trustPolicy?: "enforce" | "warn" | "off" } = {},
): string {
  const platform = opts.platform ?? "esp32";
  const board = platform === "esp8266" ? "d1_mini" : "esp32dev";
  const meta = [
    ...(opts.tags?.length ? [`#   tags: [${opts.tags.join(", ")}]`] : []),
    ...(opts.trustPolicy ? [`#   trust_policy: ${opts.trustPolicy}`] : []),
  ];
  return [
    ...(meta.length ? ["# esphome-forge:", ...meta] : []),
    "esphome:",
    `  name: ${name}`,
    `  friendly_name: ${friendly}`,
    `${platform}:`,
    `  board: ${board}`,
    "wifi:",
    "  ssid: test",
    "  password: test-password",
    "api:",
    "ota:",
    "  - platform: esphome",
    ...(opts.knobs ? [`# standin: ${opts.knobs}`] : []),
    "",
  ].join("\n");
}
