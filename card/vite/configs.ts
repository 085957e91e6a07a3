// Vite configurations for the two bundles. Both builds are deterministic: no timestamps, and
// source-map paths relative to card/ (not to the output folder), so a build into a temporary
// folder is byte-identical to the committed one (test/bundle-fresh.test.ts relies on this).
import { basename, dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { InlineConfig } from "vite";

export const CARD_DIR = fileURLToPath(new URL("..", import.meta.url));
export const REPO_DIR = resolve(CARD_DIR, "..");
export const CARD_OUT_DIR = resolve(REPO_DIR, "custom_components/esphome_forge/frontend");
export const PAGE_OUT_DIR = resolve(REPO_DIR, "sidecar/public");
export const CARD_FILE = "esphome-forge-card.js";

/** Source-map paths as `card/src/...` or `node_modules/...`, independent of where the output goes. */
function stablePath(source: string, mapPath: string): string {
  const abs = resolve(dirname(mapPath), source).replace(/\\/g, "/");
  const nm = abs.lastIndexOf("/node_modules/");
  if (nm >= 0) return abs.slice(nm + 1);
  const rel = relative(REPO_DIR, abs).replace(/\\/g, "/");
  return rel.startsWith("..") ? `external/${basename(abs)}` : rel;
}

/** Production builds whatever NODE_ENV says (vitest sets "test", which would pick Lit's dev build). */
const PRODUCTION: InlineConfig = {
  mode: "production",
  resolve: { conditions: ["module", "browser", "production"] },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
};

export function cardConfig(outDir = CARD_OUT_DIR): InlineConfig {
  return {
    ...PRODUCTION,
    configFile: false,
    root: CARD_DIR,
    logLevel: "warn",
    build: {
      outDir,
      emptyOutDir: false,
      target: "es2022",
      minify: true,
      sourcemap: true,
      reportCompressedSize: false,
      lib: { entry: resolve(CARD_DIR, "src/card/index.ts"), formats: ["es"], fileName: () => CARD_FILE },
      // Vite leaves ES-format libraries unminified for downstream bundlers; this one is loaded as is.
      rolldownOptions: {
        output: { codeSplitting: false, minify: true, comments: false, sourcemapPathTransform: stablePath },
      },
    },
  };
}

export function pageConfig(outDir = PAGE_OUT_DIR): InlineConfig {
  return {
    ...PRODUCTION,
    configFile: false,
    root: resolve(CARD_DIR, "src/page"),
    base: "./",
    logLevel: "warn",
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      minify: true,
      sourcemap: true,
      reportCompressedSize: false,
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      // Build output, not source: keep the repository's linter off it (sidecar/public is not in its ignores).
      rolldownOptions: { output: { sourcemapPathTransform: stablePath, postBanner: "/* eslint-disable */" } },
    },
  };
}
