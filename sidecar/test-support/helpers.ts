// Small helpers for the worker's tests: temp folders, polling, the stand-in command line and
// assignment messages with sensible defaults.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AssignMessage } from "@esphome-forge/shared";

export const STANDIN_PATH = fileURLToPath(new URL("./standin-esphome.mjs", import.meta.url));
/** `exec` so the stand-in itself leads the process group (no /bin/sh in between). */
export const STANDIN_COMMAND = `exec "${process.execPath}" "${STANDIN_PATH}"`;

export function tempDir(prefix = "forge-worker-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function waitUntil<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A device YAML; `knobs` become `# standin:` comment lines. */
export function deviceYaml(name: string, opts: { platform?: "esp32" | "esp8266"; knobs?: string[] } = {}): string {
  const platform = opts.platform ?? "esp32";
  const board = platform === "esp32" ? "esp32dev" : "d1_mini";
  return [
    ...(opts.knobs ?? []).map((k) => `# standin: ${k}`),
    "esphome:",
    `  name: ${name}`,
    `  friendly_name: ${name.replace(/-/g, " ")}`,
    `${platform}:`,
    `  board: ${board}`,
    "wifi:",
    "  ssid: !secret wifi_ssid",
    "logger:",
    "api:",
    "ota:",
    "  - platform: esphome",
    "",
  ].join("\n");
}

let nextJobId = 1;

/** A fencing token as the sidecar makes them (random, base64url). */
export function newFence(): string {
  return randomBytes(16).toString("base64url");
}

export function assign(deviceId: string, overrides: Partial<AssignMessage> & { yaml?: string } = {}): AssignMessage {
  const { yaml, ...rest } = overrides;
  const configFile = rest.configFile ?? `${deviceId}.yaml`;
  return {
    type: "assign",
    jobId: nextJobId++,
    fence: newFence(),
    deviceId,
    deviceName: deviceId,
    action: "compile",
    params: {},
    configFile,
    files: [{ path: configFile, content: yaml ?? deviceYaml(deviceId) }],
    configHash: null,
    esphomeVersion: null,
    address: "127.0.0.1",
    firmware: [],
    timeoutMs: 60_000,
    ...rest,
  };
}
