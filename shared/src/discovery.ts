// Zeroconf (DNS-SD over mDNS): how a sidecar advertises itself on the LAN. The Home Assistant
// integration's manifest lists `_esphome-forge._tcp.local.` and its config flow reads these TXT keys.
import { z } from "zod";
import { API_PREFIX } from "./api.js";

/** DNS-SD service type without underscores/protocol, as bonjour-style APIs take it: `_esphome-forge._tcp`. */
export const ZEROCONF_SERVICE = "esphome-forge";
export const ZEROCONF_PROTOCOL = "tcp";

/**
 * The TXT record (all values are strings on the wire). The SRV record carries host and port.
 * - `id`: the sidecar's stable instance id (HA's unique id for the config entry)
 * - `api`: REST API version (`HealthResponse.apiVersion`)
 * - `version`: sidecar version
 * - `path`: where the REST API lives on that host and port (`/api/v1`)
 * - `fp`: the SHA-256 fingerprint (hex, of the SPKI) of the sidecar's self-signed TLS key: speak https and pin
 *   it. Absent when the sidecar serves a user's own certificate (verify it with CAs). mDNS is not authenticated:
 *   a client shows it for the user to compare rather than trusting it blindly.
 */
export const ZeroconfTxt = z
  .object({
    id: z.string().regex(/^[0-9a-f]{32}$/),
    api: z.string().regex(/^\d+$/),
    version: z.string().min(1),
    path: z.string().startsWith("/"),
    fp: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .strict();
export type ZeroconfTxt = z.infer<typeof ZeroconfTxt>;

export function zeroconfTxt(o: {
  instanceId: string;
  apiVersion: number;
  version: string;
  fingerprint?: string | null;
}): ZeroconfTxt {
  return ZeroconfTxt.parse({
    id: o.instanceId,
    api: String(o.apiVersion),
    version: o.version,
    path: API_PREFIX,
    ...(o.fingerprint ? { fp: o.fingerprint } : {}),
  });
}

/** The advertised instance name: unique per installation, so several sidecars on one host never collide. */
export function zeroconfInstanceName(instanceId: string): string {
  return `Forge for ESPHome ${instanceId.slice(0, 8)}`;
}
