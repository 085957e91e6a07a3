// A file that may not exist yet (an anchor, a pin list, a signer's config, a worker's credential): its
// text, or null when there is none. Any other read error (permissions, a folder in its place) is thrown.
import { readFileSync } from "node:fs";

export function readIfPresent(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
