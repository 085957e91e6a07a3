// Copies a test's screenshots to the README's docs/screenshots: when a picture is missing, or on
// request (FORGE_UPDATE_SCREENSHOTS=1), and only from a run in which every test passed.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export function publishScreenshots(map: Record<string, string>, failed: boolean): void {
  if (failed) return;
  for (const [docs, shot] of Object.entries(map)) {
    if (existsSync(docs) && process.env.FORGE_UPDATE_SCREENSHOTS !== "1") continue;
    mkdirSync(dirname(docs), { recursive: true });
    copyFileSync(shot, docs);
  }
}
