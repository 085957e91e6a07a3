// The facts an ESPHome device publishes in its `_esphomelib._tcp` TXT record (ESPHome's
// components/mdns): `version`, `mac`, `platform`, `board`, `network`, `friendly_name`,
// `project_name`, `project_version`, `config_hash` (2026.5+), `api_encryption` (the Noise protocol
// name when a key is set), `ota_signed` (2026.10). Everything here came off the network: values are
// bounded and printable, anything else is dropped.
import { macHex } from "@esphome-forge/shared";

export interface DeviceFacts {
  esphomeVersion: string | null;
  projectName: string | null;
  projectVersion: string | null;
  /** ESPHome's own config hash, 8 lowercase hex digits. */
  configHash: string | null;
  mac: string | null;
  platform: string | null;
  board: string | null;
  network: string | null;
  friendlyName: string | null;
  apiEncryption: string | null;
  otaSigned: boolean | null;
}

export const NO_FACTS: DeviceFacts = Object.freeze({
  esphomeVersion: null,
  projectName: null,
  projectVersion: null,
  configHash: null,
  mac: null,
  platform: null,
  board: null,
  network: null,
  friendlyName: null,
  apiEncryption: null,
  otaSigned: null,
});

const MAX_ENTRIES = 64;

/** Printable ASCII up to 64 characters, else null. */
export function reported(value: string | null | undefined): string | null {
  if (value == null) return null;
  const v = value.trim();
  return v.length > 0 && v.length <= 64 && /^[\x20-\x7e]+$/.test(v) ? v : null;
}

/** A display name: no control characters, at most 128 characters. */
function displayText(value: string | undefined): string | null {
  if (value == null) return null;
  // eslint-disable-next-line no-control-regex
  const v = value.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return v.length > 0 ? v.slice(0, 128) : null;
}

/** `key=value` strings (a TXT record's character-strings) → a map; the first occurrence of a key wins (RFC 6763 §6.4). */
export function txtEntries(data: readonly (Buffer | string)[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of data.slice(0, MAX_ENTRIES)) {
    const s = typeof raw === "string" ? raw : raw.toString("utf8");
    const eq = s.indexOf("=");
    const key = (eq < 0 ? s : s.slice(0, eq)).toLowerCase();
    if (!key || out.has(key)) continue;
    out.set(key, eq < 0 ? "" : s.slice(eq + 1));
  }
  return out;
}

export function factsFromTxt(data: readonly (Buffer | string)[]): DeviceFacts {
  const t = txtEntries(data);
  const hash = t.get("config_hash")?.toLowerCase() ?? "";
  const signed = t.get("ota_signed")?.toLowerCase();
  return {
    esphomeVersion: reported(t.get("version")),
    projectName: reported(t.get("project_name")),
    projectVersion: reported(t.get("project_version")),
    configHash: /^[0-9a-f]{8}$/.test(hash) ? hash : null,
    mac: macHex(t.get("mac")),
    platform: reported(t.get("platform")),
    board: reported(t.get("board")),
    network: reported(t.get("network")),
    friendlyName: displayText(t.get("friendly_name")),
    apiEncryption: reported(t.get("api_encryption")),
    otaSigned: signed === "true" ? true : signed === "false" ? false : null,
  };
}
