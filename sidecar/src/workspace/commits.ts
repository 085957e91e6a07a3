// Commits: who made a change, one commit per change limited to the paths it touched, and the queue
// that runs every git operation that changes the repository one at a time (a save, the watcher's
// external-change commit and a restore never interleave, so an operation never commits another's
// half-done work).
import { existsSync } from "node:fs";
import path from "node:path";
import type { ChangeAction, ChangeSource } from "@esphome-forge/shared";
import type { RepoInfo } from "./repo.js";
import { headCommit } from "./repo.js";

export interface Actor {
  name: string;
  email: string;
  source: ChangeSource;
}

const slug = (name: string) =>
  name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64) || "user";

export function actor(name: string | null | undefined, source: ChangeSource): Actor {
  const n = name?.trim() || "admin";
  return { name: n, email: `${slug(n)}@esphome-forge.invalid`, source };
}

export const EXTERNAL_ACTOR: Actor = {
  name: "External change",
  email: "external@esphome-forge.invalid",
  source: "external",
};
export const FORGE_ACTOR: Actor = { name: "Forge for ESPHome", email: "forge@esphome-forge.invalid", source: "forge" };

export interface CommitRequest {
  /** Config-relative paths the change touched (both sides of a rename). */
  paths: string[];
  actor: Actor;
  action: ChangeAction;
  subject: string;
  message?: string;
}

/** Serialises operations on the repository; a failed one does not stop the next. */
export class CommitQueue {
  private tail: Promise<void> = Promise.resolve();
  private depth = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.depth++;
    const p = this.tail.then(fn);
    // The tail never rejects: a failed operation is its caller's to handle, and the next one still runs.
    this.tail = p.then(
      () => void this.depth--,
      () => void this.depth--,
    );
    return p;
  }

  get busy(): boolean {
    return this.depth > 0;
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail as Promise<void>;
  }
}

/** `paths` for git: config-relative, as pathspecs taken literally (no globbing of odd names). */
export const literal = (paths: string[]) => paths.map((p) => `:(literal)${p}`);

/**
 * Stages exactly `paths` (additions, edits, deletions) and commits only them. Returns the new
 * commit, or null when they did not change. Call inside the commit queue.
 */
export async function commitPaths(repo: RepoInfo, req: CommitRequest): Promise<string | null> {
  const tracked = new Set(
    // ls-files prints paths relative to the folder it runs in (the config folder).
    (await repo.git.raw(["ls-files", "-z", "--", ...literal(req.paths)])).split("\0"),
  );
  // A path that is neither on disk nor tracked (a file deleted before it was ever committed) has nothing to record.
  const inHead = async (p: string) =>
    (await repo.git.raw(["cat-file", "-t", `HEAD:./${p}`]).catch(() => "")).trim() === "blob";
  const paths: string[] = [];
  for (const p of new Set(req.paths))
    if (tracked.has(p) || existsSync(path.join(repo.dir, p)) || (await inHead(p))) paths.push(p);
  // An ignored file that is not tracked (secrets.yaml by default) is written but never committed.
  const ignored = new Set(
    (await repo.git.raw(["check-ignore", "-z", "--", ...paths]).catch(() => "")).split("\0").filter(Boolean),
  );
  const kept = paths.filter((p) => tracked.has(p) || !ignored.has(p));
  if (kept.length === 0) return null;
  paths.splice(0, paths.length, ...kept);
  // A path already gone from both the index and the disk (the old side of a `git mv`) needs no staging.
  const stage = paths.filter((p) => tracked.has(p) || existsSync(path.join(repo.dir, p)));
  if (stage.length) await repo.git.raw(["add", "--all", "--", ...literal(stage)]);
  const staged = (await repo.git.raw(["diff", "--cached", "--name-only", "--", ...literal(paths)])).trim();
  if (!staged) return null;
  const body = [req.subject, "", ...(req.message?.trim() ? [req.message.trim(), ""] : [])];
  body.push(`Forge-Source: ${req.actor.source}`, `Forge-Action: ${req.action}`);
  await repo.git.raw([
    "commit",
    "--quiet",
    "--no-verify",
    "--allow-empty-message",
    `--author=${req.actor.name} <${req.actor.email}>`,
    "-m",
    body.join("\n"),
    "--",
    ...literal(paths),
  ]);
  return headCommit(repo.git);
}

/** Config-relative paths with changes not committed yet (untracked included, ignored excluded). */
export async function dirtyPaths(repo: RepoInfo): Promise<string[]> {
  const out = await repo.git.raw(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."]);
  const parts = out.split("\0").filter(Boolean);
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    const code = entry.slice(0, 2);
    paths.push(fromRoot(repo, entry.slice(3)));
    // A rename or copy lists its source as the next field.
    if (code.includes("R") || code.includes("C")) paths.push(fromRoot(repo, parts[++i]!));
  }
  return paths.filter((p) => p !== "");
}

/** A path as git prints it (relative to the top level) → relative to the config folder. */
export function fromRoot(repo: RepoInfo, p: string): string {
  if (!repo.prefix) return p;
  return p.startsWith(repo.prefix + "/") ? p.slice(repo.prefix.length + 1) : "";
}
