// Where the tests find the built artifacts and write theirs.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CARD_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const REPO_DIR = resolve(CARD_DIR, "..");
export const CARD_BUNDLE_DIR = resolve(REPO_DIR, "custom_components/esphome_forge/frontend");
export const PAGE_DIR = resolve(REPO_DIR, "sidecar/public");
export const SIDECAR_CLI = resolve(REPO_DIR, "sidecar/dist/cli.js");
export const STANDIN = resolve(REPO_DIR, "sidecar/test-support/standin-esphome.mjs");
export const SCREENSHOT_DIR = resolve(REPO_DIR, "test-artifacts/screenshots");
export const DOCS_SCREENSHOT = resolve(REPO_DIR, "docs/screenshots/devices-light.png");
