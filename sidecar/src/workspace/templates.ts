// New-device templates (ESP32, ESP8266, RP2040, BK72xx) written as ESPHome's own wizard would: Wi-Fi
// and OTA credentials as `!secret` references to keys secrets.yaml already has, and a fresh API
// encryption key per device (a shared one would let any device's key decrypt all of them).
import { randomBytes } from "node:crypto";
import type { DeviceTemplate } from "@esphome-forge/shared";
import { parseYaml, isPlainObject } from "../inventory/yaml-ast.js";

export const TEMPLATES: Record<DeviceTemplate, { label: string; platform: string; board: string }> = {
  esp32: { label: "ESP32", platform: "esp32", board: "esp32dev" },
  esp8266: { label: "ESP8266", platform: "esp8266", board: "d1_mini" },
  rp2040: { label: "RP2040 (Pico W)", platform: "rp2040", board: "rpipicow" },
  bk72xx: { label: "BK72xx (LibreTiny)", platform: "bk72xx", board: "cb2s" },
};

/** The secrets a template refers to, each found by its usual names in secrets.yaml. */
const ROLES = {
  wifiSsid: [/^wifi_ssid$/, /ssid/],
  wifiPassword: [/^wifi_password$/, /^wifi_?(pass|pwd|psk)/, /wifi.*pass/],
  otaPassword: [/^ota_password$/, /^ota/],
  apPassword: [/^(fallback|ap)_password$/, /fallback/, /^ap_/],
} as const;
type Role = keyof typeof ROLES;
const DEFAULT_KEY: Record<Role, string> = {
  wifiSsid: "wifi_ssid",
  wifiPassword: "wifi_password",
  otaPassword: "ota_password",
  apPassword: "fallback_password",
};

/** Key names of secrets.yaml (never values); empty when it is missing or unreadable. */
export function secretKeys(secretsText: string | null): string[] {
  if (!secretsText) return [];
  const parsed = parseYaml(secretsText);
  return isPlainObject(parsed.value) ? Object.keys(parsed.value).sort() : [];
}

function pick(keys: string[], role: Role): string | null {
  for (const re of ROLES[role]) {
    const hit = keys.find((k) => re.test(k.toLowerCase()));
    if (hit) return hit;
  }
  return null;
}

const quote = (s: string) => JSON.stringify(s);

export interface TemplateInput {
  name: string;
  friendlyName?: string;
  template: DeviceTemplate;
  board?: string;
  secretKeys: string[];
}

export function renderTemplate(i: TemplateInput): { text: string; warnings: string[] } {
  const t = TEMPLATES[i.template];
  const warnings: string[] = [];
  const secret = (role: Role, required: boolean): string | null => {
    const key = pick(i.secretKeys, role);
    if (key) return key;
    if (!required) return null;
    warnings.push(`secrets.yaml has no ${DEFAULT_KEY[role]} key: add it, the config refers to it`);
    return DEFAULT_KEY[role];
  };
  const friendly = i.friendlyName ?? i.name;
  const ssid = secret("wifiSsid", true)!;
  const password = secret("wifiPassword", true)!;
  const ota = secret("otaPassword", false);
  const ap = secret("apPassword", false);
  const platform =
    i.template === "esp32"
      ? [`esp32:`, `  board: ${i.board ?? t.board}`, `  framework:`, `    type: esp-idf`]
      : [`${t.platform}:`, `  board: ${i.board ?? t.board}`];
  const lines = [
    `esphome:`,
    `  name: ${i.name}`,
    `  friendly_name: ${quote(friendly)}`,
    ``,
    ...platform,
    ``,
    `# Enable logging`,
    `logger:`,
    ``,
    `# Enable the Home Assistant API`,
    `api:`,
    `  encryption:`,
    `    key: ${quote(randomBytes(32).toString("base64"))}`,
    ``,
    `ota:`,
    `  - platform: esphome`,
    ...(ota ? [`    password: !secret ${ota}`] : []),
    ``,
    `wifi:`,
    `  ssid: !secret ${ssid}`,
    `  password: !secret ${password}`,
    ``,
    `  # Enable the fallback hotspot in case the Wi-Fi connection fails`,
    `  ap:`,
    `    ssid: ${quote(`${friendly.slice(0, 23)} Fallback`)}`,
    ...(ap ? [`    password: !secret ${ap}`] : []),
    ``,
    ...(i.template === "bk72xx" || i.template === "rp2040" ? [] : [`captive_portal:`, ``]),
  ];
  return { text: lines.join("\n"), warnings };
}
