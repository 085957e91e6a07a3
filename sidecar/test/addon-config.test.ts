// The add-on repository as the Supervisor reads it: repository.yaml, exactly one add-on
// (addon/config.yaml; the Supervisor picks up every config.{yaml,yml,json} in the repository),
// its config against the documented rules (test-support/addon-config-rules.ts, which must also
// catch broken variants), build.yaml, translations for every option and port, the images, the
// run script, and the options schema held together with what the sidecar reads.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Settings } from "@esphome-forge/shared";
import { AddonOptions } from "../src/ha-addon/addon-options.js";
import { DISCOVERY_SERVICE, ADDON_API_PORT } from "../src/ha-addon/addon-command.js";
import { checkAddonConfig, checkBuildConfig, checkRepositoryConfig } from "../test-support/addon-config-rules.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const yamlFile = (path: string) => parse(readFileSync(join(REPO, path), "utf8")) as Record<string, unknown>;
const config = yamlFile("addon/config.yaml");

/** Width and height from a PNG's IHDR chunk (and a check that it is a PNG at all). */
function pngSize(path: string): [number, number] {
  const b = readFileSync(join(REPO, path));
  expect(b.subarray(0, 8).toString("hex"), `${path} is a PNG`).toBe("89504e470d0a1a0a");
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe("the add-on repository", () => {
  it("has a valid repository.yaml and exactly one add-on the Supervisor would find", () => {
    expect(checkRepositoryConfig(yamlFile("repository.yaml"))).toEqual([]);
    const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: REPO,
      encoding: "utf8",
    }).split("\n");
    // The Supervisor's search: config.{json,yaml,yml} anywhere, except in hidden folders and rootfs.
    const found = tracked.filter(
      (f) =>
        /(^|\/)config\.(json|ya?ml)$/.test(f) &&
        !f.split("/").some((part) => part.startsWith(".") || part === "rootfs"),
    );
    expect(found).toEqual(["addon/config.yaml"]);
  });

  it("config.yaml follows the Supervisor's documented rules", () => {
    expect(checkAddonConfig(config)).toEqual([]);
    expect(checkBuildConfig(yamlFile("addon/build.yaml"), config.arch as string[])).toEqual([]);
  });

  it("is what this issue asks for: amd64 and aarch64, ingress in the sidebar, the worker port, ESPHome's folder, discovery", () => {
    expect(config.arch).toEqual(["amd64", "aarch64"]);
    expect(config).toMatchObject({ ingress: true, panel_admin: true, host_network: true });
    expect(config.ports).toEqual({ [`${ADDON_API_PORT}/tcp`]: ADDON_API_PORT });
    expect(config.map).toContainEqual({ type: "homeassistant_config", read_only: false });
    expect(config.discovery).toEqual([DISCOVERY_SERVICE]);
    const manifest = JSON.parse(readFileSync(join(REPO, "custom_components/esphome_forge/manifest.json"), "utf8"));
    expect(DISCOVERY_SERVICE).toBe(manifest.domain); // Supervisor discovery reaches the integration by its domain
    // The image installs the npm package of the add-on's version.
    const pkg = JSON.parse(readFileSync(join(REPO, "sidecar/package.json"), "utf8")) as { version: string };
    expect(config.version).toBe(pkg.version);
  });

  it("the options schema is the one the sidecar reads (addon-options.ts), with the same ranges and choices", () => {
    const schema = config.schema as Record<string, unknown>;
    const shape = AddonOptions.shape;
    expect(Object.keys(schema).sort()).toEqual(Object.keys(shape).sort());
    expect(AddonOptions.parse(config.options)).toMatchObject({
      admin_token_source: "generated",
      local_worker_slots: 1,
    });
    expect(schema.admin_token_source).toBe(`list(${shape.admin_token_source.unwrap().options.join("|")})`);
    expect(schema.trust_policy).toBe(`list(${Settings.shape.trustPolicy.options.join("|")})`);
    const slots = Settings.shape.localWorkerSlots;
    expect(schema.local_worker_slots).toBe(`int(${slots.minValue},${slots.maxValue})`);
  });

  it("translates every option and port, ships icon and logo, and a runnable run.sh", () => {
    const en = yamlFile("addon/translations/en.yaml") as {
      configuration: Record<string, unknown>;
      network: Record<string, unknown>;
    };
    expect(Object.keys(en.configuration).sort()).toEqual(Object.keys(config.schema as object).sort());
    expect(Object.keys(en.network)).toEqual(Object.keys(config.ports as object));
    const [iw, ih] = pngSize("addon/icon.png");
    expect(iw).toBe(ih); // square
    expect(pngSize("addon/logo.png")).toEqual([250, 100]);
    expect(statSync(join(REPO, "addon/run.sh")).mode & 0o111).not.toBe(0);
    const docker = readFileSync(join(REPO, "addon/Dockerfile"), "utf8");
    expect(docker).toMatch(/^ARG BUILD_FROM=/m);
    expect(docker).toMatch(/^FROM \$\{BUILD_FROM\}$/m);
    expect(docker).toContain('CMD ["/run.sh"]');
    for (const doc of ["DOCS.md", "README.md", "CHANGELOG.md"])
      expect(readFileSync(join(REPO, "addon", doc), "utf8").length).toBeGreaterThan(100);
    expect(readFileSync(join(REPO, "addon/CHANGELOG.md"), "utf8")).toContain(`## ${String(config.version)}`);
  });
});

describe("the rules catch what the Supervisor would refuse or drop", () => {
  const broken: [string, Record<string, unknown>, RegExp][] = [
    ["an unknown key", { ...config, ingres: true }, /unknown key ingres/],
    ["a slug with a space", { ...config, slug: "esphome forge" }, /slug/],
    ["an unknown architecture", { ...config, arch: ["amd64", "arm64"] }, /arch arm64/],
    [
      "a missing description",
      { ...config, description: undefined },
      /missing required key description|description is null/,
    ],
    [
      "a bad schema type",
      { ...config, schema: { ...(config.schema as object), x: "string" }, options: config.options },
      /schema x: string/,
    ],
    [
      "an option outside the schema",
      { ...config, options: { ...(config.options as object), y: 1 } },
      /option y is not in the schema/,
    ],
    [
      "an option outside its range",
      { ...config, options: { ...(config.options as object), local_worker_slots: 40 } },
      /local_worker_slots: 40/,
    ],
    ["a bad port key", { ...config, ports: { "7052": 7052, "http/tcp": 80 } }, /ports key http\/tcp/],
    [
      "two mounts on one path",
      { ...config, map: [...(config.map as object[]), { type: "share", path: "/homeassistant" }] },
      /both mount at \/homeassistant/,
    ],
    ["a watchdog without [HOST]", { ...config, watchdog: "http://localhost:7052/" }, /watchdog/],
  ];
  for (const [what, c, problem] of broken)
    it(`refuses ${what}`, () => {
      const cleaned = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
      expect(checkAddonConfig(cleaned).join("\n")).toMatch(problem);
    });
});
