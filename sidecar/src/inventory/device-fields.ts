// Reads the fields Forge shows for a device out of a config (ESPHome's resolved output or the plain
// read): name, friendly name, platform and board, project, and where OTA goes.
import type { DeviceSignedOtaConfig } from "@esphome-forge/shared";
import { signedOtaFromConfig } from "../trust/ota-signing/device-config.js";
import { isPlainObject, Tagged } from "./yaml-ast.js";
import type { YamlMap } from "./yaml-ast.js";

export const PLATFORMS = ["esp32", "esp8266", "rp2040", "bk72xx", "rtl87xx", "ln882x", "nrf52", "host"] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * Other top-level keys for a platform. ESPHome 2026.10 renamed `rp2040:` to `rp2:` (the old key still
 * works until 2027.7) and its resolved config (`esphome config`) always says `rp2:`: Forge still calls
 * the platform rp2040, whichever key the config or ESPHome's output uses.
 */
const PLATFORM_KEYS: readonly (readonly [key: string, platform: Platform])[] = [
  ...PLATFORMS.map((p) => [p, p] as const),
  ["rp2", "rp2040"],
];

export type AddressSource = "use_address" | "static_ip" | "known" | "mdns";

export interface ConfigFields {
  name: string | null;
  friendlyName: string | null;
  platform: Platform | null;
  board: string | null;
  /** `esp32: variant:` lower-cased without dashes (`esp32`, `esp32s3`); null when not written or not an ESP32. */
  variant: string | null;
  project: { name: string; version: string | null } | null;
  /** `host: mac_address` — the only MAC a config itself can state. */
  configMac: string | null;
  /** Explicit OTA target from the config, before any learned address is considered. */
  configAddress: { address: string; source: "use_address" | "static_ip" } | null;
  /** Hostname suffix settings used for the mDNS fallback. */
  domain: string;
  macSuffix: boolean;
  /** `esp32: framework: advanced: signed_ota_verification` (ESPHome signed OTA), null when absent. */
  signedOta: DeviceSignedOtaConfig | null;
  /** The config has a `deep_sleep:` block: offline reads "asleep", and a flash waits for it to wake. */
  deepSleep: boolean;
}

function text(v: unknown): string | null {
  if (v instanceof Tagged) return text(v.value);
  if (typeof v === "string") return v.trim() === "" ? null : v;
  if (typeof v === "number") return String(v);
  return null;
}

function section(config: YamlMap, key: string): YamlMap | null {
  const v = config[key];
  return isPlainObject(v) ? v : null;
}

export function extractFields(config: unknown): ConfigFields {
  const c: YamlMap = isPlainObject(config) ? config : {};
  const esphome = section(c, "esphome") ?? {};
  const name = text(esphome.name);
  const [platformKey, platform] = PLATFORM_KEYS.find(([key]) => Object.hasOwn(c, key)) ?? [null, null];
  const platformSection = platformKey ? section(c, platformKey) : null;
  const board = platform && platform !== "host" ? text(platformSection?.board) : null;
  const proj = isPlainObject(esphome.project) ? esphome.project : null;
  const projectName = text(proj?.name);
  const networks = ["wifi", "ethernet", "openthread"].map((k) => section(c, k)).filter((s): s is YamlMap => s != null);
  const domain = networks.map((n) => text(n.domain)).find((d) => d != null) ?? ".local";
  return {
    name,
    friendlyName: text(esphome.friendly_name),
    platform,
    board,
    variant: platform === "esp32" ? (text(platformSection?.variant)?.toLowerCase().replace(/-/g, "") ?? null) : null,
    project: projectName ? { name: projectName, version: text(proj?.version) } : null,
    configMac: platform === "host" ? text(platformSection?.mac_address) : null,
    configAddress: explicitAddress(networks, name, domain),
    domain,
    macSuffix: esphome.name_add_mac_suffix === true,
    signedOta: platform === "esp32" ? signedOtaConfig(c) : null,
    deepSleep: Object.hasOwn(c, "deep_sleep"),
  };
}

function signedOtaConfig(c: YamlMap): DeviceSignedOtaConfig | null {
  const s = signedOtaFromConfig(c);
  return s
    ? {
        scheme: s.scheme,
        externalSigning: s.externalSigning,
        verificationKeys: s.verificationKeys,
        downgradeProtection: s.downgradeProtection,
      }
    : null;
}

function explicitAddress(networks: YamlMap[], name: string | null, domain: string): ConfigFields["configAddress"] {
  for (const n of networks) {
    const staticIp = isPlainObject(n.manual_ip) ? text(n.manual_ip.static_ip) : null;
    const use = text(n.use_address);
    // ESPHome's resolved config always fills use_address (static IP, else name + domain): only a
    // value different from those defaults was chosen by the user.
    if (use && use !== staticIp && use !== `${name}${domain}`) return { address: use, source: "use_address" };
    if (staticIp) return { address: staticIp, source: "static_ip" };
  }
  return null;
}

/** The OTA target: explicit config address, else a learned one, else `<name>.local` over mDNS. */
export function resolveAddress(
  f: ConfigFields,
  known: { address: string | null; mac: string | null },
): { address: string | null; addressSource: AddressSource | null } {
  if (f.configAddress) return { address: f.configAddress.address, addressSource: f.configAddress.source };
  if (known.address) return { address: known.address, addressSource: "known" };
  if (!f.name) return { address: null, addressSource: null };
  if (f.macSuffix) {
    // The hostname ends in the MAC's last three bytes; without a known MAC it cannot be guessed.
    const mac = known.mac ?? f.configMac;
    if (!mac) return { address: null, addressSource: null };
    const suffix = mac
      .replace(/[^0-9a-fA-F]/g, "")
      .slice(-6)
      .toLowerCase();
    return { address: `${f.name}-${suffix}${f.domain}`, addressSource: "mdns" };
  }
  return { address: `${f.name}${f.domain}`, addressSource: "mdns" };
}
