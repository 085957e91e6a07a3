// Writes small ESPHome device configs into a config folder, with stand-in build knobs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DeviceSpec {
  id: string;
  platform?: "esp32" | "esp8266";
  /** Stand-in knobs, e.g. `sleep-ms=3000`, `fail-at=compile`. */
  standin?: string[];
  address?: string;
  tags?: string[];
}

export function writeDevice(configDir: string, spec: DeviceSpec): void {
  mkdirSync(configDir, { recursive: true });
  const lines: string[] = [];
  if (spec.tags?.length) lines.push("# esphome-forge:", `#   tags: [${spec.tags.join(", ")}]`);
  for (const k of spec.standin ?? []) lines.push(`# standin: ${k}`);
  const platform = spec.platform ?? "esp32";
  lines.push(
    "esphome:",
    `  name: ${spec.id}`,
    `  friendly_name: Device ${spec.id}`,
    `${platform}:`,
    `  board: ${platform === "esp32" ? "esp32dev" : "d1_mini"}`,
    "wifi:",
    "  ssid: !secret wifi_ssid",
    "  password: !secret wifi_password",
    `  use_address: ${spec.address ?? "127.0.0.1"}`,
    "ota:",
    "  - platform: esphome",
    "logger:",
    "",
  );
  writeFileSync(join(configDir, `${spec.id}.yaml`), lines.join("\n"));
  writeFileSync(join(configDir, "secrets.yaml"), 'wifi_ssid: "lab"\nwifi_password: "correct horse"\n');
}

export function writeFleet(configDir: string, specs: DeviceSpec[]): void {
  for (const s of specs) writeDevice(configDir, s);
}
