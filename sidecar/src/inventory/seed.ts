// First start: a config folder without any device YAML gets the example devices from ./examples
// (an ESP32, an ESP8266 on a static IP, an ESP32-C3 built from a local package with a metadata block,
// and a LibreTiny plug) plus a secrets.yaml. Existing files are never overwritten.
import { access, chmod, copyFile, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeviceFileName } from "./scan.js";

/** The examples ship as source files; from the compiled `dist/` they are found back in `src/`. */
async function examplesDir(): Promise<string> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, "examples"), path.resolve(here, "../../src/inventory/examples")];
  for (const c of candidates) {
    try {
      await access(path.join(c, "secrets.yaml"));
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(`example devices not found (looked in ${candidates.join(", ")})`);
}

export async function seedExamples(configDir: string): Promise<string[]> {
  await mkdir(configDir, { recursive: true });
  const existing = await readdir(configDir, { withFileTypes: true });
  if (existing.some((e) => (e.isFile() || e.isSymbolicLink()) && isDeviceFileName(e.name))) return [];
  const src = await examplesDir();
  const written: string[] = [];
  const entries = await readdir(src, { recursive: true, withFileTypes: true });
  for (const e of entries.filter((x) => x.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = path.relative(src, path.join(e.parentPath, e.name));
    const dest = path.join(configDir, rel);
    await mkdir(path.dirname(dest), { recursive: true });
    try {
      await copyFile(path.join(src, rel), dest, 1 /* COPYFILE_EXCL: keep what is there */);
      if (path.basename(rel) === "secrets.yaml") await chmod(dest, 0o600);
      written.push(rel.split(path.sep).join("/"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return written.sort();
}
