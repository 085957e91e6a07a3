// What the sidecar is started with (cli.ts), and the environment knobs its start-up steps read.
import { fileURLToPath } from "node:url";
import type { Settings } from "@esphome-forge/shared";
import type { IngressOptions } from "../api/ingress-server.js";
import type { AdminTokenChoice } from "../config/admin-token.js";
import type { PresenceSetting } from "../presence/presence-switch.js";
import type { Clock } from "../util/clock.js";

export interface SidecarOptions {
  dataDir: string;
  configDir?: string;
  host: string;
  port: number;
  /** From the command line or environment; null = the data folder's file (generated on first start). */
  adminToken?: AdminTokenChoice | null;
  /** Host names beyond the defaults (IP literals, unregistrable names, this machine): `*.example.com`, `*` = any. */
  allowedHosts?: string[];
  /** Browser origins beyond the sidecar's own that may open the events socket (reverse proxies). */
  allowedOrigins?: string[];
  /** Headers and body of a request must arrive within this time (default 30 s). */
  requestTimeoutMs?: number;
  /** A read-only token for GET /api/v1/metrics (Prometheus, KEDA); null = only the admin token. */
  metricsToken?: AdminTokenChoice | null;
  /** A second listener for Home Assistant's ingress proxy (the add-on); none by default. */
  ingress?: IngressOptions | null;
  /** Plain HTTP from other machines too (default: TLS for everyone but this machine). */
  insecureTransport?: boolean;
  /** The user's own certificate chain and key (PEM files) instead of the sidecar's self-signed one. */
  tlsCertFile?: string | null;
  tlsKeyFile?: string | null;
  /** Settings given on the command line win over stored ones for this run. */
  overrides?: Partial<Settings>;
  buildCommand?: string | null;
  esphomeBin?: string | null;
  seed?: boolean;
  /** Who the local worker's builds run as: `auto` (default; a separate user when root), `none`, or a user name. */
  localWorkerUser?: string;
  /** The local worker's state folder (default: see worker-hub/local-worker-state.ts). */
  localWorkerStateDir?: string | null;
  /** Keep the config folder's history in git (default true). */
  configHistory?: boolean;
  /** Advertise on the LAN as `_esphome-forge._tcp` (default true; never when listening on loopback only). */
  zeroconf?: boolean;
  /** Browse mDNS for ESPHome devices: `auto` (default: with zeroconf, never on loopback only), `on`, `off`. */
  presence?: PresenceSetting;
  publicDir?: string | null;
  log?: (msg: string) => void;
  clock?: Clock;
  /** Start with a database that is blank or older than the state anchor (see durability/state-anchor.ts). */
  acceptDatabase?: boolean;
  /** Free space below which the data folder counts as full (default $FORGE_DISK_RESERVE_MB or 64 MiB). */
  diskReserveBytes?: number;
}

/** At start, trust verdicts are evaluated for this long before listening; the rest follow in the background. */
export const START_TRUST_BUDGET_MS = 100;
export const MIB = 1024 * 1024;
export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL("../../public", import.meta.url));

/** A positive integer from the environment (test and tuning knobs), else undefined. */
export function envInt(name: string): number | undefined {
  const n = Number(process.env[name] ?? "");
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
