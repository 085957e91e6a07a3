// The state anchor file (`<data>/state/anchor.json`): a few facts about the database kept where an
// edit, a lost `-wal` file or an old backup of the database cannot reach them. One JSON object of
// named sections; each section has one owner (see state-anchor.ts), and sections this version does
// not know are kept as they are, so a newer version's additions survive an older one's writes.
// Written atomically: temp file (0600) → fsync → rename → fsync of the folder (0700).
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { readIfPresent } from "../util/read-if-present.js";

export const ANCHOR_FORMAT = 1;

export interface AnchorContent {
  format: number;
  /** How many times the file was written (monotonic). */
  writes: number;
  writtenAt: string;
  sections: Record<string, unknown>;
}

export class AnchorUnreadableError extends Error {
  readonly code = "anchor_unreadable";
}

export function anchorPath(dataDir: string): string {
  return join(dataDir, "state", "anchor.json");
}

/** The anchor, or null when there is none yet. Throws AnchorUnreadableError for a damaged file. */
export function readAnchor(file: string): AnchorContent | null {
  const text = readIfPresent(file);
  if (text === null) return null;
  let parsed: Partial<AnchorContent>;
  try {
    parsed = JSON.parse(text) as Partial<AnchorContent>;
  } catch {
    throw new AnchorUnreadableError(`${file} is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || typeof parsed.sections !== "object" || !parsed.sections)
    throw new AnchorUnreadableError(`${file} has no sections`);
  if (typeof parsed.format !== "number" || parsed.format > ANCHOR_FORMAT)
    throw new AnchorUnreadableError(
      `${file} has format ${String(parsed.format)}; this sidecar reads format ${ANCHOR_FORMAT}`,
    );
  return {
    format: parsed.format,
    writes: typeof parsed.writes === "number" ? parsed.writes : 0,
    writtenAt: String(parsed.writtenAt ?? ""),
    sections: parsed.sections,
  };
}

/**
 * Writes `sections` over what the file holds (unknown sections kept); returns what was written. The
 * writes and syncs run on the thread pool: a flash waits for its record, the event loop does not.
 */
export async function writeAnchor(
  file: string,
  previous: AnchorContent | null,
  sections: Record<string, unknown>,
): Promise<AnchorContent> {
  const content: AnchorContent = {
    format: ANCHOR_FORMAT,
    writes: (previous?.writes ?? 0) + 1,
    writtenAt: new Date().toISOString(),
    sections: { ...previous?.sections, ...sections },
  };
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // also when the folder was there before: only the sidecar reads its state
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(JSON.stringify(content, null, 1) + "\n");
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return content;
}
