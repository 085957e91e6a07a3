// Reading the history: commits (of the folder or of one file, renames followed), a file as it was
// at a commit, and unified diffs between commits or against the file on disk.
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChangeAction, ChangeSource, type HistoryEntry, type HistoryPage } from "@esphome-forge/shared";
import { WorkspaceError } from "./errors.js";
import { git } from "./git.js";
import { literal } from "./commits.js";
import type { RepoInfo } from "./repo.js";

const FIELDS = [
  "%H",
  "%h",
  "%an",
  "%ae",
  "%aI",
  "%s",
  "%(trailers:key=Forge-Source,valueonly,separator=%x2C)",
  "%(trailers:key=Forge-Action,valueonly,separator=%x2C)",
];
const FORMAT = `--format=%x1e${FIELDS.join("%x1f")}%x1f`;
const STATUS = new Set(["A", "M", "D", "R", "C", "T"]);

function parseLog(out: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const record of out.split("\x1e").slice(1)) {
    const head = record.split("\x1f");
    const [commit, shortCommit, author, authorEmail, date, subject, source, action] = head;
    const tokens = (head.at(-1) ?? "")
      .split("\0")
      .map((t) => t.replace(/^\n/, ""))
      .filter((t) => t !== "");
    const files: HistoryEntry["files"] = [];
    for (let i = 0; i < tokens.length; i++) {
      const code = tokens[i]!;
      const status = code[0]!;
      if (!STATUS.has(status)) continue;
      if (status === "R" || status === "C") {
        files.push({ status: status as "R", oldPath: tokens[i + 1]!, path: tokens[i + 2]! });
        i += 2;
      } else {
        files.push({ status: status as "A", oldPath: null, path: tokens[i + 1]! });
        i += 1;
      }
    }
    const src = ChangeSource.safeParse(source?.split(",")[0]?.trim());
    const act = ChangeAction.safeParse(action?.split(",")[0]?.trim());
    entries.push({
      commit: commit!,
      shortCommit: shortCommit!,
      author: author!,
      authorEmail: authorEmail!,
      date: date!,
      subject: subject!,
      source: src.success ? src.data : null,
      action: act.success ? act.data : null,
      files,
    });
  }
  return entries;
}

/** A page of history: the whole folder, or one file with its renames followed. */
export async function history(
  repo: RepoInfo,
  q: { limit: number; offset: number; path?: string; exclude?: string[] },
): Promise<HistoryPage> {
  const args = ["log", "--relative", "--name-status", "-z", FORMAT, `--skip=${q.offset}`, `-n${q.limit + 1}`];
  if (q.path) args.push("--follow", "--", `:(literal)${q.path}`);
  else args.push("--", ".", ...(q.exclude ?? []).map((p) => `:(exclude,literal)${p}`));
  const out = await repo.git.raw(args).catch((e: Error) => {
    if (/does not have any commits|bad default revision/.test(e.message)) return "";
    throw e;
  });
  const entries = parseLog(out);
  const more = entries.length > q.limit;
  return { entries: entries.slice(0, q.limit), nextOffset: more ? q.offset + q.limit : null };
}

/** The full commit id of `ref`; 404 when it is no commit of this repository. */
export async function resolveCommit(repo: RepoInfo, ref: string): Promise<string> {
  const out = await repo.git
    .raw(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`])
    .catch(() => "");
  const sha = out.trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha))
    throw new WorkspaceError("not_found", `no commit ${ref} in the config folder's history`);
  return sha;
}

/** Every name `rel` had in the history (renames followed), newest first. */
export async function namesOf(repo: RepoInfo, rel: string): Promise<string[]> {
  const out = await repo.git
    .raw(["log", "--relative", "--follow", "--name-only", "-z", "--format=%x1e", "--", `:(literal)${rel}`])
    .catch(() => "");
  const names = [rel];
  // eslint-disable-next-line no-control-regex -- git output: NUL and record separators
  for (const t of out.split(/[\0\x1e\n]/)) if (t && !names.includes(t)) names.push(t);
  return names;
}

/** The bytes of a file at a commit, trying each of its names; null when it did not exist there. */
export async function blobAt(
  repo: RepoInfo,
  commit: string,
  names: string[],
): Promise<{ path: string; bytes: Buffer } | null> {
  for (const name of names) {
    const spec = `${commit}:./${name}`;
    const type = (await repo.git.raw(["cat-file", "-t", spec]).catch(() => "")).trim();
    if (type !== "blob") continue;
    const bytes = await showBytes(repo, spec);
    return { path: name, bytes };
  }
  return null;
}

/** A blob's exact bytes (simple-git's text output would re-encode them). */
function showBytes(repo: RepoInfo, spec: string): Promise<Buffer> {
  return repo.git.showBuffer(["--no-textconv", spec]);
}

/**
 * A unified diff of two versions of a file (either may be missing), labelled with `label`. Runs
 * `git diff --no-index` on two private temporary files, so no content (secrets.yaml) ever enters
 * the repository's object store.
 */
export async function diffContents(label: string, before: Buffer | null, after: Buffer | null): Promise<string> {
  if (before && after && before.equals(after)) return "";
  const dir = await mkdtemp(path.join(tmpdir(), "forge-diff-"));
  try {
    const a = path.join(dir, "a", label);
    const b = path.join(dir, "b", label);
    await mkdir(path.dirname(a), { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(b), { recursive: true, mode: 0o700 });
    if (before) await writeFile(a, before, { mode: 0o600 });
    if (after) await writeFile(b, after, { mode: 0o600 });
    const out = await git(dir, dir).raw([
      "diff",
      "--no-index",
      "--no-color",
      "--no-ext-diff",
      "--no-textconv",
      "--no-prefix",
      before ? `a/${label}` : "/dev/null",
      after ? `b/${label}` : "/dev/null",
    ]);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The folder's diff between two commits (or a commit and the working tree), optionally one path. */
export async function diffTree(
  repo: RepoInfo,
  from: string,
  to: string | null,
  paths: string[],
  exclude: string[],
): Promise<string> {
  const args = ["diff", "--relative", "--no-color", "--no-ext-diff", "--no-textconv", "-M", from];
  if (to) args.push(to);
  args.push("--", ...(paths.length ? literal(paths) : ["."]), ...exclude.map((p) => `:(exclude,glob)${p}`));
  return repo.git.raw(args);
}

export async function readWorking(repo: RepoInfo, rel: string): Promise<Buffer | null> {
  return readFile(path.join(repo.dir, rel)).catch(() => null);
}
