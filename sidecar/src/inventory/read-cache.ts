// What a device read produced, kept across rescans and restarts: a device none of whose files changed
// is not parsed again, nor handed to `esphome config` again. Without it, a sidecar with 2,000 devices
// parsed every YAML before it listened (~2 s) and again on every periodic rescan, and with ESPHome
// installed ran `esphome config` for each of them at every start.
//
// "Unchanged" is judged like make and git judge it: every file the read depended on has the same size
// and modification time, and every path it looked for and did not find is still absent. A read whose
// files were modified shortly before it began is not kept (a change within the file system's timestamp
// granularity could otherwise hide); a change the watcher reports is always read afresh; and devices
// that read whole folders (`!include_dir_*`, local components) are always read again, because a file
// deep inside a folder does not change the folder's own time.
import { statSync } from "node:fs";
import path from "node:path";
import type { Diagnostic } from "./errors.js";
import type { InventoryDevice } from "./inventory-device.js";

export interface StoredRead {
  /** Who read it (see `readerOf`): a read by another Forge version or another ESPHome is not reused. */
  reader: string;
  /** The dependencies' sizes and times when it was read (see `signatureOf`). */
  signature: string;
  device: InventoryDevice;
  /** Every config-relative path whose change can change the device. */
  deps: string[];
  diagnostics: Diagnostic[];
}

/** Where reads are kept (the database: inventory/read-store.ts). Writes may be deferred or lost: a lost one costs a re-read. */
export interface ReadStore {
  load(): Map<string, StoredRead>;
  put(id: string, read: StoredRead): void;
  remove(id: string): void;
}

/** Files modified this recently before a read began may change again within one timestamp tick: not kept. */
const RACY_MS = 2000;

/** Bump when what a read produces changes for the same files (a new field, another rule). */
const READ_FORMAT = 1;

/** The reader: Forge's read format and version, and which ESPHome (if any) resolved the configs, and how. */
export function readerOf(forgeVersion: string, esphome: string | null, sandboxed: boolean): string {
  return JSON.stringify({ format: READ_FORMAT, forgeVersion, esphome, sandboxed });
}

/**
 * Size and modification time of each path, or "absent"; null when one was modified within RACY_MS
 * before `readStartedAt` (or after it), so the read is not kept.
 */
export function signatureOf(rootReal: string, rels: Iterable<string>, readStartedAt: number | null): string | null {
  const parts: string[] = [];
  for (const rel of [...new Set(rels)].sort()) {
    const st = statSync(path.join(rootReal, rel), { throwIfNoEntry: false });
    if (!st) {
      parts.push(`${rel}\0-`);
      continue;
    }
    if (readStartedAt != null && st.mtimeMs >= readStartedAt - RACY_MS) return null;
    // Whole milliseconds: a copy that keeps times (cp -p, a restored backup) keeps them to the millisecond.
    parts.push(`${rel}\0${st.isDirectory() ? "d" : "f"}${st.size}\0${Math.floor(st.mtimeMs)}`);
  }
  return parts.join("\n");
}

/** The stored read, if it was made by this reader and none of its files changed since. */
export function reusable(
  stored: StoredRead | undefined,
  reader: string,
  rootReal: string,
  file: string,
): StoredRead | null {
  if (!stored || stored.reader !== reader || stored.device.file !== file) return null;
  return signatureOf(rootReal, stored.deps, null) === stored.signature ? stored : null;
}
