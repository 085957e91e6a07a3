// Keeps every path the inventory touches inside the config folder: lexically (no `..`, no absolute
// paths) and physically (a symlink inside the folder may not point out of it). Paths handed around
// are POSIX-style and relative to the config folder.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { InventoryError } from "./errors.js";

/** Joins `ref` (as written in a YAML file in `fromDir`) onto the config folder; throws when it leaves it. */
export function relInside(fromDir: string, ref: string): string {
  if (ref.includes("\0")) throw new InventoryError("path_escape", `invalid path ${JSON.stringify(ref)}`);
  const rel = path.posix.normalize(path.posix.join(fromDir, ref.replaceAll("\\", "/")));
  if (path.posix.isAbsolute(ref) || rel === ".." || rel.startsWith("../") || path.posix.isAbsolute(rel)) {
    throw new InventoryError("path_escape", `path ${JSON.stringify(ref)} leaves the config folder`);
  }
  if (rel.split("/").includes(".git")) {
    throw new InventoryError("path_escape", `path ${JSON.stringify(ref)} points into .git`);
  }
  return rel === "." ? "" : rel;
}

/** The absolute path of `rel`, after checking that its real location (symlinks followed) is inside `rootReal`. */
export async function realInside(rootReal: string, rel: string): Promise<string> {
  const abs = path.join(rootReal, rel);
  const real = await realpath(abs);
  if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
    throw new InventoryError("path_escape", `${rel} resolves outside the config folder`);
  }
  return real;
}

/** True when any segment of the relative path is hidden (dotfile or dot-folder). */
export function isHidden(rel: string): boolean {
  return rel.split("/").some((s) => s.startsWith("."));
}
