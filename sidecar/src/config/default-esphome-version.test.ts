import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/database.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import {
  defaultProbeEnabled,
  newestRelease,
  parsePipIndexVersions,
  pipNewestEsphome,
  recordDefaultEsphomeVersion,
} from "./default-esphome-version.js";
import { SettingsStore } from "./settings-store.js";

const FAKE_PYTHON = fileURLToPath(new URL("../../test-support/fake-python.sh", import.meta.url));

describe("parsing pip's answer", () => {
  it("takes the newest final release, numerically, skipping pre-releases", () => {
    expect(newestRelease(["2026.9.3", "2026.10.0", "2026.11.0b1", "2026.10.10", "2026.10.2", "dev", "1.20.4"])).toBe(
      "2026.10.10",
    );
    expect(newestRelease(["2026.11.0b1", "junk"])).toBeNull();
    const out = "esphome (2026.6.5)\nAvailable versions: 2026.6.5, 2026.6.4, 2025.12.7, 1.20.4\n";
    expect(parsePipIndexVersions(out)).toBe("2026.6.5");
    expect(parsePipIndexVersions("esphome (2026.7.0)\n")).toBe("2026.7.0");
    expect(parsePipIndexVersions("esphome (2026.7.0b2)\n")).toBeNull();
    expect(parsePipIndexVersions("ERROR: nothing\n")).toBeNull();
  });

  it("asks `python -m pip index versions esphome`, and names pip's reason when it fails", async () => {
    await expect(
      pipNewestEsphome(FAKE_PYTHON, 10_000, { ...process.env, FAKE_PIP_INDEX: "2026.1.0, 2026.2.1, 2026.2.0" }),
    ).resolves.toBe("2026.2.1");
    await expect(pipNewestEsphome(FAKE_PYTHON, 10_000, { ...process.env, FAKE_PIP_INDEX: "offline" })).rejects.toThrow(
      /No matching distribution found for esphome/,
    );
    await expect(pipNewestEsphome(join(tempDir(), "no-python"), 10_000)).rejects.toThrow(
      /no-python -m pip index versions esphome/,
    );
  });

  it("is on by default, off for a stand-in build command, and the environment decides first", () => {
    expect(defaultProbeEnabled({}, null)).toBe(true);
    expect(defaultProbeEnabled({}, "true")).toBe(false);
    expect(defaultProbeEnabled({ FORGE_ESPHOME_DEFAULT_PROBE: "off" }, null)).toBe(false);
    expect(defaultProbeEnabled({ FORGE_ESPHOME_DEFAULT_PROBE: "on" }, "true")).toBe(true);
  });
});

describe("recording the fleet default", () => {
  function setup(env: NodeJS.ProcessEnv, local: string | null = "2026.6.5") {
    const dir = tempDir();
    const dbFile = join(dir, "forge.db");
    const pipLog = join(dir, "pip.log");
    const settings = new SettingsStore(openDatabase(dbFile));
    const lines: string[] = [];
    const opts = {
      settings,
      python: async () => FAKE_PYTHON,
      localVersion: async () => local,
      log: (m: string) => void lines.push(m),
      env: { ...process.env, FAKE_PIP_LOG: pipLog, ...env },
    };
    const pipRuns = () => (existsSync(pipLog) ? readFileSync(pipLog, "utf8").trim().split("\n") : []);
    return { settings, opts, lines, pipRuns, reopen: () => new SettingsStore(openDatabase(dbFile)) };
  }

  it("records the newest release pip offers once; later starts keep it without asking", async () => {
    const { settings, opts, lines, pipRuns, reopen } = setup({});
    expect(await recordDefaultEsphomeVersion(opts)).toEqual({ version: "2026.10.10", source: "index" });
    expect(settings.get().defaultEsphomeVersion).toBe("2026.10.10");
    expect(lines.join("\n")).toMatch(/default ESPHome version: 2026\.10\.10, the newest release pip offers/);
    // A restart: the stored value stands, pip is not asked again (even if a newer release appeared).
    const again = { ...opts, settings: reopen(), env: { ...opts.env, FAKE_PIP_INDEX: "2027.1.0" } };
    expect(await recordDefaultEsphomeVersion(again)).toEqual({ version: "2026.10.10", source: "stored" });
    expect(pipRuns()).toEqual(["index"]);
  });

  it("offline: falls back to the local ESPHome's version and says why", async () => {
    const { settings, opts, lines } = setup({ FAKE_PIP_INDEX: "offline" });
    expect(await recordDefaultEsphomeVersion(opts)).toEqual({ version: "2026.6.5", source: "local" });
    expect(settings.get().defaultEsphomeVersion).toBe("2026.6.5");
    expect(lines.join("\n")).toMatch(
      /could not ask pip .*No matching distribution.*using the local ESPHome 2026\.6\.5/,
    );
  });

  it("offline and no local ESPHome (or no Python): leaves the setting null", async () => {
    const { settings, opts, lines } = setup({}, null);
    const r = await recordDefaultEsphomeVersion({
      ...opts,
      python: () => Promise.reject(new Error("no Python 3.11+ found")),
    });
    expect(r).toEqual({ version: null, source: "none" });
    expect(settings.get().defaultEsphomeVersion).toBeNull();
    expect(lines.join("\n")).toMatch(/not set \(could not ask pip: no Python 3\.11\+ found/);
  });

  it("a version chosen by the user while pip was asked wins", async () => {
    const { settings, opts } = setup({});
    const slow = { ...opts, python: async () => (settings.patch({ defaultEsphomeVersion: "2026.3.0" }), FAKE_PYTHON) };
    expect(await recordDefaultEsphomeVersion(slow)).toEqual({ version: "2026.3.0", source: "stored" });
    expect(settings.get().defaultEsphomeVersion).toBe("2026.3.0");
  });
});
