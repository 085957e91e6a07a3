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
/** The README's pictures of the standalone page: docs file ← the test's screenshot it is copied from. */
export const DOCS_SCREENSHOTS: Record<string, string> = {
  [resolve(REPO_DIR, "docs/screenshots/devices-light.png")]: resolve(SCREENSHOT_DIR, "devices-light-desktop.png"),
  [resolve(REPO_DIR, "docs/screenshots/queue-trust-light.png")]: resolve(
    SCREENSHOT_DIR,
    "queue-trust-light-desktop.png",
  ),
};
/** The README's pictures of the card in the real Home Assistant frontend (test/in-ha/). */
export const HA_DOCS_SCREENSHOTS: Record<string, string> = {
  [resolve(REPO_DIR, "docs/screenshots/card-sections-light.png")]: resolve(SCREENSHOT_DIR, "ha-sections-light.png"),
  [resolve(REPO_DIR, "docs/screenshots/card-panel-dark.png")]: resolve(SCREENSHOT_DIR, "ha-panel-dark.png"),
  [resolve(REPO_DIR, "docs/screenshots/card-phone-dark.png")]: resolve(SCREENSHOT_DIR, "ha-masonry-phone.png"),
};
