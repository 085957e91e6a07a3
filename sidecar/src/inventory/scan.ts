// Which files in the config folder are devices: top-level *.yaml / *.yml except secrets and
// dotfiles. The device id is the file stem; a second file with the same stem is reported, not read.
import { readdir } from "node:fs/promises";
import { DeviceId } from "@esphome-forge/shared";

export function isDeviceFileName(name: string): boolean {
  return /\.ya?ml$/.test(name) && !name.startsWith(".") && !/^secrets\.ya?ml$/.test(name);
}

export function deviceIdOf(name: string): string {
  return name.replace(/\.ya?ml$/, "");
}

export interface ScanResult {
  /** id → file name. */
  files: Map<string, string>;
  /** id → error for ids claimed by more than one file. */
  duplicates: Map<string, string>;
  /** Files whose stem is not a valid device id. */
  skipped: string[];
}

export async function scanConfigDir(root: string): Promise<ScanResult> {
  const entries = await readdir(root, { withFileTypes: true });
  const names = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isDeviceFileName(e.name))
    .map((e) => e.name)
    .sort();
  const files = new Map<string, string>();
  const duplicates = new Map<string, string>();
  const skipped: string[] = [];
  for (const name of names) {
    const id = deviceIdOf(name);
    if (!DeviceId.safeParse(id).success) {
      skipped.push(name);
      continue;
    }
    const first = files.get(id);
    if (first) {
      duplicates.set(
        id,
        `duplicate device id "${id}": ${name} has the same name as ${first} and is ignored; rename one of them`,
      );
      continue;
    }
    files.set(id, name);
  }
  return { files, duplicates, skipped };
}
