// What `npx esphome-forge serve` would install: `npm pack --dry-run` of the two published packages
// (esphome-forge and the schemas it imports, @esphome-forge/shared). The CLI, the sidecar, the
// worker and the dashboard page are in; tests, fixtures, test support, dev tools, benchmarks,
// TypeScript sources and source maps are out; every relative import of a packed file is packed
// too; `bin`, `engines` and the shared version line up.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

interface Packed {
  name: string;
  version: string;
  files: string[];
}

function pack(workspace: string): Packed {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: join(REPO, workspace),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [info] = JSON.parse(out) as { name: string; version: string; files: { path: string }[] }[];
  return { name: info!.name, version: info!.version, files: info!.files.map((f) => f.path) };
}

const manifest = (workspace: string) =>
  JSON.parse(readFileSync(join(REPO, workspace, "package.json"), "utf8")) as Record<string, unknown> & {
    version: string;
    engines: { node: string };
    bin?: Record<string, string>;
    dependencies: Record<string, string>;
  };

const FORBIDDEN = [
  /\.test\.[cm]?[jt]s$/,
  /(^|\/)test(-support)?\//,
  /(^|\/)fixtures?\//,
  /^dist\/(devtools|bench)\//,
  /\.tsbuildinfo$/,
  /\.map$/,
  /^src\/.*\.ts$/,
];

/** Relative imports of a packed JS file that point at a file not in the package. */
function danglingImports(root: string, files: string[]): string[] {
  const packed = new Set(files);
  const out: string[] = [];
  for (const f of files.filter((p) => p.endsWith(".js"))) {
    const text = readFileSync(join(root, f), "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = normalize(join(dirname(f), m[1]!));
      if (!packed.has(target)) out.push(`${f} → ${m[1]}`);
    }
  }
  return out;
}

describe("the npm packages", () => {
  it("esphome-forge: CLI, sidecar, worker and dashboard page, nothing from development", () => {
    expect(existsSync(join(REPO, "sidecar/public/index.html")), "build the page first: npm run -w card build").toBe(
      true,
    );
    const p = pack("sidecar");
    expect(p.name).toBe("esphome-forge");
    for (const must of [
      "dist/cli.js",
      "dist/server.js",
      "dist/build-worker/worker-cli.js",
      "dist/ha-addon/addon-command.js",
      "public/index.html",
      "src/inventory/examples/secrets.yaml",
      "package.json",
      "README.md",
    ])
      expect(p.files, must).toContain(must);
    expect(p.files.some((f) => /^public\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    expect(p.files.filter((f) => FORBIDDEN.some((re) => re.test(f)))).toEqual([]);
    expect(danglingImports(join(REPO, "sidecar"), p.files)).toEqual([]);
  });

  it("esphome-forge: bin, engines and its schemas package line up for npx", () => {
    const m = manifest("sidecar");
    expect(m.private).toBeUndefined();
    expect(m.bin).toEqual({ "esphome-forge": "./dist/cli.js" });
    expect(readFileSync(join(REPO, "sidecar/dist/cli.js"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(m.engines.node).toBe(manifest(".").engines.node);
    const shared = manifest("shared");
    expect(shared.private).toBeUndefined();
    expect(m.dependencies["@esphome-forge/shared"]).toBe(shared.version);
  });

  it("@esphome-forge/shared: compiled schemas and their types only", () => {
    const p = pack("shared");
    expect(p.files).toContain("dist/index.js");
    expect(p.files).toContain("dist/index.d.ts");
    expect(p.files.filter((f) => FORBIDDEN.some((re) => re.test(f)))).toEqual([]);
    expect(danglingImports(join(REPO, "shared"), p.files)).toEqual([]);
  });
});
