// Makes the config folder a git repository: an existing one is adopted as it is (its history is never
// rewritten; Forge only adds commits), else one is initialised with a first commit of what is there.
// A config folder that is a subfolder of a repository (Home Assistant's whole /config under git) is
// adopted too — Forge then commits only inside the folder — unless that repository ignores the
// folder (a data folder inside some other checkout), which gets a repository of its own.
import { existsSync } from "node:fs";
import { readFile, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SimpleGit } from "simple-git";
import { FORGE_COMMITTER, git } from "./git.js";

export interface RepoInfo {
  /** The config folder (real path). */
  dir: string;
  /** The repository's top level (real path). */
  root: string;
  /** The config folder relative to the top level ("" when they are the same). */
  prefix: string;
  adopted: boolean;
  git: SimpleGit;
}

/** Marks the block Forge adds to `.gitignore` (added once; edit freely afterwards). */
export const IGNORE_MARKER = "# esphome-forge: build output and secrets";
export const IGNORE_BLOCK = [
  IGNORE_MARKER,
  "/.esphome/",
  ".pioenvs/",
  ".piolibdeps/",
  "/.pio/",
  "__pycache__/",
  "*.pyc",
  "# Forge's temporary files while it writes a file",
  ".*.forge-*.tmp",
  "# secrets.yaml stays out of history unless you delete the next line (see the README: history of secrets)",
  "/secrets.yaml",
  "",
].join("\n");

async function topLevel(dir: string): Promise<string | null> {
  try {
    const out = await git(dir, dir).raw(["rev-parse", "--show-toplevel"]);
    return out.trim() ? await realpath(out.trim()) : null;
  } catch {
    return null;
  }
}

async function ignoredBy(root: string, rel: string): Promise<boolean> {
  try {
    const out = await git(root, root).raw(["check-ignore", "--no-index", "-v", rel + "/"]);
    return out.trim().length > 0;
  } catch {
    return false;
  }
}

/** Opens (adopts) or creates the repository for `configDir`. */
export async function openRepo(configDir: string): Promise<RepoInfo> {
  const dir = await realpath(configDir);
  let root = await topLevel(dir);
  if (root && root !== dir && (await ignoredBy(root, path.relative(root, dir).split(path.sep).join("/")))) root = null;
  if (root) {
    const prefix = root === dir ? "" : path.relative(root, dir).split(path.sep).join("/");
    return { dir, root, prefix, adopted: true, git: git(dir, root) };
  }
  const g = git(dir, dir);
  await g.raw(["init", "--quiet", "--initial-branch=main"]);
  return { dir, root: dir, prefix: "", adopted: false, git: g };
}

/** Adds Forge's ignore block to the folder's `.gitignore` once; true when the file changed. */
export async function ensureIgnore(dir: string): Promise<boolean> {
  const file = path.join(dir, ".gitignore");
  const current = existsSync(file) ? await readFile(file, "utf8") : "";
  if (current.includes(IGNORE_MARKER)) return false;
  const sep = current.length === 0 || current.endsWith("\n") ? "" : "\n";
  await writeFile(file, current + sep + (current ? "\n" : "") + IGNORE_BLOCK);
  return true;
}

/** True when the repository has no commit yet. */
export async function isEmpty(g: SimpleGit): Promise<boolean> {
  return (await headCommit(g)) === null;
}

export async function headCommit(g: SimpleGit): Promise<string | null> {
  try {
    return (await g.raw(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])).trim() || null;
  } catch {
    return null;
  }
}

export async function currentBranch(g: SimpleGit): Promise<string | null> {
  try {
    const b = (await g.raw(["symbolic-ref", "--quiet", "--short", "HEAD"])).trim();
    return b || null;
  } catch {
    return null;
  }
}

/** Whether `rel` (config-relative) is ignored by the repository. */
export async function isIgnored(repo: RepoInfo, rel: string): Promise<boolean> {
  try {
    return (await repo.git.raw(["check-ignore", "-v", "--", rel])).trim().length > 0;
  } catch {
    return false;
  }
}

/** Whether `rel` is tracked (in the index). */
export async function isTracked(repo: RepoInfo, rel: string): Promise<boolean> {
  return (await repo.git.raw(["ls-files", "--", rel])).trim().length > 0;
}

export const forgeAuthor = `${FORGE_COMMITTER.name} <${FORGE_COMMITTER.email}>`;
