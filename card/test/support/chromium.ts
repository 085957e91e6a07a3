// Debian's Chromium driven by playwright-core. A missing browser is a test failure with the fix,
// never a skip: `npm test` provisions it through scripts/ensure-chromium.sh.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export function chromiumPath(): string {
  const path = process.env.FORGE_CHROMIUM || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. The browser tests need Debian's chromium package: run ` +
        '`eval "$(bash scripts/ensure-chromium.sh)"` (npm test does this), or set FORGE_CHROMIUM to a Chromium binary.',
    );
  }
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}
