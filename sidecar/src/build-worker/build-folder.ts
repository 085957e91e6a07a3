// The stable per-device build folder `<stateDir>/builds/<deviceId>/`. Config files from an
// assignment are written into it (never outside it, whatever the path says), while ESPHome's
// own `.esphome/` cache beside them survives from job to job so builds stay incremental.
// Build folders hold secrets.yaml and firmware that embeds them: 0700 folders, 0600 files.
import { chmod, lstat, mkdir, readFile, realpath, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { DeviceId } from "@esphome-forge/shared";
import { buildsRoot, WARM_MARKER } from "./worker-state.js";

/** Lists the files the last job wrote, so files a config no longer uses are removed next time. */
const MANIFEST = ".forge-files.json";

export class PathEscapeError extends Error {
  constructor(file: string, why: string) {
    super(`refusing config file path ${JSON.stringify(file)}: ${why}`);
    this.name = "PathEscapeError";
  }
}

export interface ConfigFileInput {
  path: string;
  content: string;
  /** Binary files (fonts, images) arrive base64-encoded. */
  encoding?: "utf8" | "base64";
}

export function deviceBuildDir(stateDir: string, deviceId: string): string {
  if (!DeviceId.safeParse(deviceId).success) throw new PathEscapeError(deviceId, "not a valid device id");
  return path.join(path.resolve(buildsRoot(stateDir)), deviceId);
}

/** Resolves `rel` against `root` lexically; throws unless the result lies strictly inside `root`. */
export function resolveInside(root: string, rel: string): string {
  if (rel.length === 0) throw new PathEscapeError(rel, "empty path");
  if (rel.includes("\0")) throw new PathEscapeError(rel, "contains a NUL byte");
  if (path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.startsWith("\\"))
    throw new PathEscapeError(rel, "absolute path");
  if (rel.split(/[\\/]+/).includes("..")) throw new PathEscapeError(rel, "contains '..'");
  const base = path.resolve(root);
  const abs = path.resolve(base, rel);
  if (!abs.startsWith(base + path.sep)) throw new PathEscapeError(rel, "resolves outside the build folder");
  return abs;
}

/**
 * Writes the job's config files into `buildDir` and returns the absolute path of the main
 * config. Every path is checked before anything is written; symlinks (left by an earlier
 * build, say) are neither followed out of the folder nor written through.
 */
export async function writeConfigFiles(
  buildDir: string,
  files: ConfigFileInput[],
  configFile: string,
): Promise<string> {
  const targets = files.map((f) => ({
    rel: path.normalize(f.path),
    abs: resolveInside(buildDir, f.path),
    content: f.encoding === "base64" ? Buffer.from(f.content, "base64") : f.content,
  }));
  const configAbs = resolveInside(buildDir, configFile);
  if (!targets.some((t) => t.abs === configAbs)) {
    throw new Error(`the main config file ${JSON.stringify(configFile)} is not among the job's files`);
  }
  await mkdir(buildDir, { recursive: true, mode: 0o700 });
  await chmod(path.dirname(buildDir), 0o700); // builds/ (an older worker made it 0755)
  await chmod(buildDir, 0o700);
  const realRoot = await realpath(buildDir);
  for (const t of targets) {
    const dir = path.dirname(t.abs);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const realDir = await realpath(dir);
    if (realDir !== realRoot && !realDir.startsWith(realRoot + path.sep)) {
      throw new PathEscapeError(t.rel, "a folder on the way is a link that leaves the build folder");
    }
    const existing = await lstat(t.abs).catch(() => null);
    if (existing?.isDirectory()) throw new PathEscapeError(t.rel, "a folder of that name already exists");
    if (existing?.isSymbolicLink()) await unlink(t.abs);
    await writeFile(t.abs, t.content, { mode: 0o600 });
    if (existing) await chmod(t.abs, 0o600);
  }
  await forgetStaleFiles(buildDir, new Set(targets.map((t) => t.rel)));
  return configAbs;
}

async function forgetStaleFiles(buildDir: string, current: Set<string>): Promise<void> {
  const manifest = path.join(buildDir, MANIFEST);
  let previous: string[] = [];
  try {
    const parsed: unknown = JSON.parse(await readFile(manifest, "utf8"));
    if (Array.isArray(parsed)) previous = parsed.filter((p): p is string => typeof p === "string");
  } catch {
    // first job in this folder, or an unreadable manifest: nothing to clean
  }
  for (const rel of previous) {
    if (current.has(rel)) continue;
    try {
      const abs = resolveInside(buildDir, rel);
      const st = await lstat(abs);
      if (st.isFile() || st.isSymbolicLink()) await unlink(abs);
    } catch {
      // already gone or never valid
    }
  }
  await writeFile(manifest, JSON.stringify([...current].sort()) + "\n");
}

export async function removeBuildFolder(stateDir: string, deviceId: string): Promise<void> {
  await rm(deviceBuildDir(stateDir, deviceId), { recursive: true, force: true });
}

/** Marks the folder's build cache as complete (after a compile succeeded) or not (while one runs). */
export async function setWarm(buildDir: string, warm: boolean): Promise<void> {
  const marker = path.join(buildDir, WARM_MARKER);
  if (warm) await writeFile(marker, new Date().toISOString() + "\n");
  else await rm(marker, { force: true });
}
