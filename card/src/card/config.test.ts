import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveConfig, stubConfig, validateConfig } from "./config.js";
import { CARD_VERSION } from "./version.js";

const T = "custom:esphome-forge-card";

describe("card config validation", () => {
  it("accepts the stub and a minimal config", () => {
    expect(() => validateConfig({ type: T, ...stubConfig() })).not.toThrow();
    expect(resolveConfig(validateConfig({ type: T }))).toEqual({
      title: "",
      views: ["devices", "queue", "workers", "schedules"],
      tags: [],
      columns: ["online", "version", "status", "trust", "last_build"],
      compact: false,
      entryId: null,
    });
  });

  it.each([
    [null, "the configuration must be a mapping of options"],
    [
      { type: T, veiws: ["devices"] },
      'unknown option "veiws"; the options are title, views, tags, columns, compact, entry_id',
    ],
    [
      { type: T, views: ["devices", "logs"] },
      'views: unknown value "logs"; choose from devices, queue, workers, schedules',
    ],
    [{ type: T, views: [] }, "views: list at least one of devices, queue, workers, schedules"],
    [{ type: T, views: ["queue", "queue"] }, 'views: "queue" is listed twice'],
    [{ type: T, views: 3 }, "views: expected a list, got 3"],
    [{ type: T, tags: ["Kitchen"] }, `tags: "Kitchen" is not a tag (lowercase letters, digits, '_', '.', ':' and '-')`],
    [
      { type: T, columns: ["online", "ip"] },
      'columns: unknown value "ip"; choose from online, version, status, trust, last_build',
    ],
    [{ type: T, compact: "yes" }, 'compact: expected true or false, got "yes"'],
    [{ type: T, title: 5 }, "title: expected text, got 5"],
    [{ type: T, entry_id: "" }, 'entry_id: expected a config entry id (text), got ""'],
  ])("rejects %j with a clear message", (config, message) => {
    expect(() => validateConfig(config)).toThrow(`esphome-forge-card: ${message}`);
  });

  it("accepts comma-separated strings for lists and keys HA adds", () => {
    const c = validateConfig({ type: T, tags: "kitchen, garden", views: "devices", grid_options: { columns: 12 } });
    expect(c.tags).toEqual(["kitchen", "garden"]);
    expect(c.views).toEqual(["devices"]);
  });

  it("keeps the version equal to package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(CARD_VERSION).toBe(pkg.version);
  });
});
