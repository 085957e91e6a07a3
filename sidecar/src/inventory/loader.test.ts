import { realpath } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "./loader.js";
import { applySubstitutions, mergePackages } from "./substitutions.js";
import { cleanup, configDir } from "../../test-support/inventory-fixtures.js";
import { parseYaml, Tagged } from "./yaml-ast.js";
import type { YamlMap } from "./yaml-ast.js";

afterEach(cleanup);

async function load(files: Record<string, string>, main = "dev.yaml") {
  const root = await realpath(await configDir(files));
  return loadConfig(root, main);
}

describe("parseYaml", () => {
  it("turns every local tag into a marker and never throws on unknown ones", () => {
    const r = parseYaml("a: !lambda return 1;\nb: !weird [1, 2]\nc: !force {x: 1}\nd: !remove\ne: !extend my_id\n");
    expect(r.error).toBeNull();
    const v = r.value as YamlMap;
    expect(v.a).toEqual(new Tagged("!lambda", "return 1;", 1));
    expect(v.b).toEqual(new Tagged("!weird", [1, 2], 2));
    expect(v.c).toEqual(new Tagged("!force", { x: 1 }, 3));
    expect(v.d).toEqual(new Tagged("!remove", "", 4));
    expect(v.e).toEqual(new Tagged("!extend", "my_id", 5));
  });

  it("reads YAML 1.1 like PyYAML and handles merge keys", () => {
    const r = parseYaml("flag: on\nbase: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
    expect(r.value).toEqual({ flag: true, base: { x: 1, y: 2 }, m: { x: 1, y: 3 } });
  });

  it("reports a syntax error with its line", () => {
    const r = parseYaml("esphome:\n  name: x\n  foo: [1, 2\nesp8266:\n  board: d1\n");
    expect(r.error?.line).toBeGreaterThanOrEqual(3);
    expect(r.error?.message).toMatch(/flow|sequence|\]/i);
  });
});

describe("loadConfig", () => {
  it("follows !include (scalar and {file, vars}), !include_dir_*, !secret; !env_var gives only its default", async () => {
    process.env.FORGE_TEST_ENV = "from-the-sidecars-own-environment";
    const r = await load({
      "dev.yaml": [
        "esphome: !include common/esphome.yaml",
        "wifi:",
        "  ssid: !secret wifi_ssid",
        "  password: !secret wifi_password",
        "pkg: !include {file: common/vars.yaml, vars: {who: world}}",
        "list: !include_dir_list parts",
        "merged_list: !include_dir_merge_list lists",
        "named: !include_dir_named parts",
        "merged_named: !include_dir_merge_named maps",
        "env: !env_var FORGE_TEST_ENV",
        "env_default: !env_var FORGE_TEST_UNSET fallback value",
        "lam: !lambda return x;",
      ].join("\n"),
      "common/esphome.yaml": "name: dev\nfriendly_name: Dev\n",
      "common/vars.yaml": "greeting: hello ${who}\nsecret_here: !secret local_key\n",
      "common/secrets.yaml": "local_key: from-common\n",
      "parts/a.yaml": "x: 1\n",
      "parts/b.yaml": "y: 2\n",
      "parts/.hidden.yaml": "z: 3\n",
      "lists/one.yaml": "- 1\n- 2\n",
      "lists/two.yaml": "- 3\n",
      "maps/m1.yaml": "a: 1\n",
      "maps/m2.yaml": "b: 2\n",
      "secrets.yaml": "wifi_ssid: Net\nwifi_password: pw\nunused: nope\n",
    });
    expect(r.errors).toEqual([]);
    expect(r.config).toMatchObject({
      esphome: { name: "dev", friendly_name: "Dev" },
      wifi: { ssid: "Net", password: "pw" },
      pkg: { greeting: "hello world", secret_here: "from-common" },
      list: [{ x: 1 }, { y: 2 }],
      merged_list: [1, 2, 3],
      named: { a: { x: 1 }, b: { y: 2 } },
      merged_named: { a: 1, b: 2 },
      env: null,
      env_default: "fallback value",
      lam: new Tagged("!lambda", "return x;", 12),
    });
    expect([...r.files.keys()].sort()).toEqual(
      [
        "common/esphome.yaml",
        "common/vars.yaml",
        "dev.yaml",
        "lists/one.yaml",
        "lists/two.yaml",
        "maps/m1.yaml",
        "maps/m2.yaml",
        "parts/a.yaml",
        "parts/b.yaml",
      ].sort(),
    );
    expect(Object.fromEntries([...r.secrets].map(([f, m]) => [f, [...m.keys()].sort()]))).toEqual({
      "secrets.yaml": ["wifi_password", "wifi_ssid"],
      "common/secrets.yaml": ["local_key"],
    });
  });

  it("refuses an include that leaves the config folder, without reading it", async () => {
    const r = await load({ "dev.yaml": "esphome:\n  name: dev\nx: !include ../../etc/passwd\n" });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: "dev.yaml", line: 3 });
    expect(r.errors[0]!.message).toMatch(/leaves the config folder/);
    expect([...r.files.keys()]).toEqual(["dev.yaml"]);
    expect((r.config as YamlMap).x).toBeNull();
  });

  it("reports missing includes, missing secrets and include cycles as errors", async () => {
    const r = await load({
      "dev.yaml": "a: !include nope.yaml\nb: !secret missing\nc: !include loop.yaml\nd: !include secrets.yaml\n",
      "loop.yaml": "again: !include loop.yaml\n",
      "secrets.yaml": "other: 1\n",
    });
    const msgs = r.errors.map((e) => e.message).join("\n");
    expect(msgs).toMatch(/nope\.yaml does not exist/);
    expect(msgs).toMatch(/secret 'missing' is not defined in secrets\.yaml/);
    expect(msgs).toMatch(/include cycle/);
    expect(msgs).toMatch(/a secrets file cannot be included/);
  });

  it("reports a syntax error inside an included file at that file's line", async () => {
    const r = await load({ "dev.yaml": "a: !include inc.yaml\n", "inc.yaml": "ok: 1\nbad: [\n" });
    expect(r.errors).toEqual([expect.objectContaining({ file: "inc.yaml" })]);
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(2);
  });
});

describe("substitutions and packages", () => {
  it("applies substitutions (nested, ${x} and $x) and merges local packages underneath the config", async () => {
    const r = await load({
      "dev.yaml": [
        "substitutions:",
        "  base: kitchen",
        "  name: ${base}-light",
        "esphome:",
        "  name: ${name}",
        "  friendly_name: $base Light",
        "packages:",
        "  board: !include pkg/board.yaml",
        "  remote: github://esphome/firmware/x.yaml@main",
        "sensor:",
        "  - platform: uptime",
      ].join("\n"),
      "pkg/board.yaml":
        "substitutions:\n  base: ignored\nesp32:\n  board: esp32dev\nsensor:\n  - platform: wifi_signal\n",
    });
    const c = applySubstitutions(mergePackages(r.config as YamlMap));
    expect(c.esphome).toEqual({ name: "kitchen-light", friendly_name: "kitchen Light" });
    expect(c.esp32).toEqual({ board: "esp32dev" });
    expect(c.sensor).toEqual([{ platform: "wifi_signal" }, { platform: "uptime" }]);
    expect(c.packages).toBeUndefined();
  });
});
