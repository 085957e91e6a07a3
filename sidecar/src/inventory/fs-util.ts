// Small file-system helpers for the inventory.
import { randomBytes } from "node:crypto";
import { chmod, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** Writes via a hidden temp file in the same folder and a rename, keeping the file's mode. */
export async function atomicWrite(abs: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.forge-${randomBytes(4).toString("hex")}.tmp`);
  const { mode } = await stat(abs);
  try {
    await writeFile(tmp, content, { flag: "wx" });
    await chmod(tmp, mode & 0o7777);
    await rename(tmp, abs);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
