// The changes Forge makes to the config folder, each one commit: save a file (guarded by the hash
// of the content the user edited), create a device, rename, delete, restore. Every operation runs
// in the commit queue and first commits any outside change to the same files as "external change",
// so a user's commit holds only what that user did. Bytes are written exactly as sent.
import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SimpleGit } from "simple-git";
import { commitPaths, type Actor, type CommitQueue } from "./commits.js";
import { WorkspaceError } from "./errors.js";
import { blobAt, diffContents, namesOf, resolveCommit } from "./history.js";
import { renameNode } from "./node-name.js";
import { isSecrets, resolveEditable, sha256, type ResolvedPath } from "./paths.js";
import { isTracked, type RepoInfo } from "./repo.js";

export interface EditorContext {
  repo: RepoInfo;
  queue: CommitQueue;
  /** Commits outside changes to `paths` (all when absent) as "external change"; call inside the queue. */
  commitExternal(paths?: string[]): Promise<string | null>;
  /** After every commit Forge made (device views, remote push). */
  committed(commit: string, paths: string[]): void;
}

export interface Guard {
  /** sha256 the client edited (If-Match); null = none given. */
  ifMatch: string | null;
  /** `If-None-Match: *`: the file must not exist yet. */
  create?: boolean;
}

/** Writes through a temporary file and a rename, keeping an existing file's mode. */
async function writeExact(abs: string, bytes: Buffer): Promise<void> {
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.forge-${randomBytes(4).toString("hex")}.tmp`);
  const mode = await stat(abs).then(
    (s) => s.mode & 0o7777,
    () => 0o644,
  );
  try {
    await writeFile(tmp, bytes, { flag: "wx", mode });
    await chmod(tmp, mode);
    await rename(tmp, abs);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function commitOne(
  ctx: EditorContext,
  paths: string[],
  actor: Actor,
  action: Parameters<typeof commitPaths>[1]["action"],
  subject: string,
  message?: string,
) {
  const commit = await commitPaths(ctx.repo, { paths, actor, action, subject, message });
  if (commit) ctx.committed(commit, paths);
  return commit;
}

/** Checks the client's If-Match against the file as it is; a mismatch is a 409 with a diff (now → yours). */
async function checkGuard(
  file: ResolvedPath,
  current: Buffer | null,
  proposed: Buffer | null,
  g: Guard,
): Promise<void> {
  if (g.create) {
    if (current)
      throw new WorkspaceError("conflict", `${file.rel} already exists`, {
        currentSha256: sha256(current),
        diff: null,
      });
    return;
  }
  if (!current) throw new WorkspaceError("not_found", `${file.rel} does not exist (use If-None-Match: * to create it)`);
  if (g.ifMatch === null)
    throw new WorkspaceError(
      "precondition_required",
      `send If-Match with the sha256 of the content you edited (${file.rel})`,
    );
  if (g.ifMatch === sha256(current)) return;
  const diff = isSecrets(file.rel) || !proposed ? null : await diffContents(file.rel, current, proposed);
  throw new WorkspaceError(
    "conflict",
    `${file.rel} changed since you loaded it; nothing was saved (the diff shows the file now → yours)`,
    { currentSha256: sha256(current), diff },
  );
}

export function saveFile(ctx: EditorContext, input: string, content: string, g: Guard, actor: Actor, message?: string) {
  return ctx.queue.run(async () => {
    const file = await resolveEditable(ctx.repo.dir, input);
    const current = file.exists ? await readFile(file.abs) : null;
    const bytes = Buffer.from(content, "utf8");
    await checkGuard(file, current, bytes, g);
    await ctx.commitExternal([file.rel]);
    if (!current || !current.equals(bytes)) await writeExact(file.abs, bytes);
    const commit = await commitOne(ctx, [file.rel], actor, "edit", `${current ? "Edit" : "Add"} ${file.rel}`, message);
    return { path: file.rel, sha256: sha256(bytes), commit };
  });
}

export function createFile(
  ctx: EditorContext,
  rel: string,
  content: string,
  actor: Actor,
  subject: string,
  message?: string,
) {
  return ctx.queue.run(async () => {
    const file = await resolveEditable(ctx.repo.dir, rel);
    if (file.exists) throw new WorkspaceError("conflict", `${rel} already exists`);
    const bytes = Buffer.from(content, "utf8");
    await writeFile(file.abs, bytes, { flag: "wx", mode: 0o644 });
    const commit = await commitOne(ctx, [file.rel], actor, "create", subject, message);
    return { path: file.rel, sha256: sha256(bytes), commit, bytes };
  });
}

/** Renames a device file with `git mv` (history follows it) and sets `esphome.name` in it. */
export function renameDevice(
  ctx: EditorContext,
  from: string,
  to: string,
  name: string,
  g: Guard,
  actor: Actor,
  message?: string,
) {
  return ctx.queue.run(async () => {
    const src = await resolveEditable(ctx.repo.dir, from);
    const dst = await resolveEditable(ctx.repo.dir, to);
    if (!src.exists) throw new WorkspaceError("not_found", `${from} does not exist`);
    if (dst.exists) throw new WorkspaceError("conflict", `${to} already exists`);
    const current = await readFile(src.abs);
    if (g.ifMatch !== null) await checkGuard(src, current, null, g);
    await ctx.commitExternal([src.rel]);
    const renamed = renameNode(current.toString("utf8"), name);
    if (await isTracked(ctx.repo, src.rel)) await gitMove(ctx.repo.git, src.rel, dst.rel);
    else await rename(src.abs, dst.abs);
    const bytes = Buffer.from(renamed.text, "utf8");
    if (!bytes.equals(current)) await writeExact(dst.abs, bytes);
    const commit = await commitOne(ctx, [src.rel, dst.rel], actor, "rename", `Rename ${src.rel} → ${dst.rel}`, message);
    return { from: src.rel, to: dst.rel, commit, warnings: renamed.warning ? [renamed.warning] : [] };
  });
}

async function gitMove(g: SimpleGit, from: string, to: string): Promise<void> {
  await g.raw(["mv", "--", from, to]);
}

export function deleteFile(ctx: EditorContext, rel: string, g: Guard, actor: Actor, message?: string) {
  return ctx.queue.run(async () => {
    const file = await resolveEditable(ctx.repo.dir, rel);
    if (!file.exists) throw new WorkspaceError("not_found", `${rel} does not exist`);
    const current = await readFile(file.abs);
    if (g.ifMatch !== null) await checkGuard(file, current, null, g);
    await ctx.commitExternal([file.rel]);
    await unlink(path.join(ctx.repo.dir, file.rel));
    const commit = await commitOne(ctx, [file.rel], actor, "delete", `Delete ${file.rel}`, message);
    return { path: file.rel, commit };
  });
}

/** Brings one file back to its content at `ref` (under its current name), as a new commit. */
export function restoreFile(ctx: EditorContext, rel: string, ref: string, actor: Actor, message?: string) {
  return ctx.queue.run(async () => {
    const commit = await resolveCommit(ctx.repo, ref);
    const file = await resolveEditable(ctx.repo.dir, rel);
    const old = await blobAt(ctx.repo, commit, await namesOf(ctx.repo, file.rel));
    if (!old) throw new WorkspaceError("not_found", `${rel} did not exist at ${commit.slice(0, 7)}`);
    await ctx.commitExternal([file.rel]);
    const current = file.exists ? await readFile(file.abs) : null;
    if (!current || !current.equals(old.bytes)) await writeExact(file.abs, old.bytes);
    const made = await commitOne(
      ctx,
      [file.rel],
      actor,
      "restore",
      `Restore ${file.rel} to ${commit.slice(0, 7)}`,
      message,
    );
    return { commit: made, paths: [file.rel] };
  });
}

/** Brings every tracked file of the folder back to `ref` (files added since are removed), as a new commit. */
export function restoreFolder(ctx: EditorContext, ref: string, actor: Actor, message?: string) {
  return ctx.queue.run(async () => {
    const commit = await resolveCommit(ctx.repo, ref);
    await ctx.commitExternal();
    await ctx.repo.git.raw(["restore", `--source=${commit}`, "--staged", "--worktree", "--", "."]);
    const changed = (await ctx.repo.git.raw(["diff", "--cached", "--relative", "--name-only", "-z", "--", "."]))
      .split("\0")
      .filter(Boolean);
    if (changed.length === 0) return { commit: null, paths: [] };
    const made = await commitOne(
      ctx,
      changed,
      actor,
      "restore",
      `Restore the config folder to ${commit.slice(0, 7)}`,
      message,
    );
    return { commit: made, paths: changed };
  });
}
