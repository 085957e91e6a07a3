// The domain's value types, shared by the sidecar, the worker, the card and (as JSON) the HA integration:
// digests, device and worker ids, OTA addresses, ESPHome versions, tags and commit ids. The objects built
// from them live beside: jobs.ts, devices.ts, workers.ts, settings.ts and trust-verdict.ts.
import { z } from "zod";

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex sha256 digest");

export const DeviceId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "device ids are file stems: letters, digits, '.', '_' and '-'");

/** A build worker's stable id (kept in its state folder and sent in its hello). */
export const WorkerId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "worker ids are letters, digits, '.', '_' and '-'");

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * True for a host name (RFC 1123 labels; `_` allowed as mDNS names have it) or an IP literal.
 * The address reaches `esphome upload --device ADDRESS` on a worker: it never starts with `-`
 * and holds no spaces or shell metacharacters.
 */
export function isOtaAddress(value: string): boolean {
  if (value.length === 0 || value.length > 253 || value.startsWith("-")) return false;
  if (IPV4.test(value)) return true;
  if (value.includes(":")) return IPV6.test(value) && z.ipv6().safeParse(value).success;
  return value
    .replace(/\.$/, "")
    .split(".")
    .every((label) => HOST_LABEL.test(label));
}

export const OtaAddress = z
  .string()
  .refine(isOtaAddress, "an OTA address is a host name or an IP address (never starting with '-', no spaces)");

export const EsphomeVersion = z
  .string()
  .regex(/^\d{4}\.\d{1,2}\.\d+(?:[a-z]+\d*)?$|^dev$/, "expected an ESPHome release such as 2026.10.0");

export const Tag = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.:-]*$/, "tags are lowercase: letters, digits, '_', '.', ':' and '-'");

/** A full git object name (sha1, or sha256 repositories). */
export const CommitId = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "expected a full commit id (hex)");
