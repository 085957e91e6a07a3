// What the API does with the workspace, per device and for the folder: reads (file, history, diff,
// file at a commit) and changes (save, create from a template, rename, delete, restore), each change
// then shown to the inventory at once and validated through the queue's `validate` jobs.
import { readFile } from "node:fs/promises";
import type { HistoryPage, WorkspaceFile } from "@esphome-forge/shared";
import { commitPaths, type Actor } from "./commits.js";
import { deleteFile, renameDevice, restoreFile, restoreFolder, saveFile, createFile, type Guard } from "./editor.js";
import { WorkspaceError } from "./errors.js";
import { blobAt, diffContents, diffTree, history, namesOf, readWorking, resolveCommit } from "./history.js";
import { asText, isSecrets, resolveEditable, sha256 } from "./paths.js";
import { renderTemplate, secretKeys, TEMPLATES } from "./templates.js";
import type { Workspace } from "./workspace.js";
import type { DeviceTemplate } from "@esphome-forge/shared";

export interface InventoryPort {
  fileOf(id: string): string | undefined;
  filesOf(id: string): string[];
  dependents(rel: string): string[];
  /** Re-reads what these paths affect now (instead of waiting for the watcher). */
  notifyChanged(paths: string[]): Promise<void>;
}

/** Every secrets.yaml of the folder, as git pathspecs (left out of folder diffs unless revealed). */
const SECRETS_GLOBS = ["secrets.yaml", "secrets.yml", "**/secrets.yaml", "**/secrets.yml"];

export type Validate = (deviceIds: string[], source: string) => Promise<{ deviceId: string; jobId: number }[]>;

export class DeviceOps {
  constructor(
    private readonly ws: Workspace,
    private readonly inventory: InventoryPort,
    private readonly validate: Validate,
  ) {}

  deviceFile(id: string): string {
    const file = this.inventory.fileOf(id);
    if (!file) throw new WorkspaceError("not_found", `no device with id ${id}`);
    return file;
  }

  /** A device's own file or one it includes; anything else is refused. */
  deviceMember(id: string, rel: string | undefined): string {
    const file = this.deviceFile(id);
    if (!rel || rel === file) return file;
    if (!this.inventory.filesOf(id).includes(rel))
      throw new WorkspaceError("forbidden", `${id} does not include ${rel}`);
    return rel;
  }

  private secretsGuard(rel: string, reveal: boolean | undefined): void {
    if (isSecrets(rel) && !reveal)
      throw new WorkspaceError(
        "forbidden",
        "secrets.yaml is only returned when an admin asks for it explicitly (reveal=true)",
      );
  }

  async read(rel: string, reveal?: boolean): Promise<WorkspaceFile> {
    this.secretsGuard(rel, reveal);
    const file = await resolveEditable(this.ws.repo().dir, rel);
    if (!file.exists) throw new WorkspaceError("not_found", `${rel} does not exist`);
    const bytes = await readFile(file.abs);
    return {
      path: file.rel,
      content: asText(file.rel, bytes),
      sha256: sha256(bytes),
      size: bytes.length,
      commit: null,
    };
  }

  async at(rel: string, ref: string, reveal?: boolean): Promise<WorkspaceFile> {
    this.secretsGuard(rel, reveal);
    const repo = this.ws.repo();
    const commit = await resolveCommit(repo, ref);
    const hit = await blobAt(repo, commit, await namesOf(repo, rel));
    if (!hit) throw new WorkspaceError("not_found", `${rel} did not exist at ${commit.slice(0, 7)}`);
    return {
      path: hit.path,
      content: asText(hit.path, hit.bytes),
      sha256: sha256(hit.bytes),
      size: hit.bytes.length,
      commit,
    };
  }

  history(q: { limit: number; offset: number; path?: string }, reveal?: boolean): Promise<HistoryPage> {
    if (q.path) this.secretsGuard(q.path, reveal);
    return history(this.ws.repo(), q);
  }

  /** One file's diff (renames followed: each side under the name it had), or the folder's. */
  async diff(q: { from: string; to?: string; path?: string; reveal?: boolean }) {
    const repo = this.ws.repo();
    const from = await resolveCommit(repo, q.from);
    const to = q.to ? await resolveCommit(repo, q.to) : null;
    if (!q.path) {
      const exclude = q.reveal ? [] : SECRETS_GLOBS;
      return { from, to, diff: await diffTree(repo, from, to, [], exclude) };
    }
    this.secretsGuard(q.path, q.reveal);
    const names = await namesOf(repo, q.path);
    const before = (await blobAt(repo, from, names))?.bytes ?? null;
    const after = to ? ((await blobAt(repo, to, names))?.bytes ?? null) : await readWorking(repo, q.path);
    return { from, to, diff: await diffContents(q.path, before, after) };
  }

  async save(rel: string, content: string, guard: Guard, actor: Actor, opts: { message?: string; validate: boolean }) {
    const r = await saveFile(this.ws.context(), rel, content, guard, actor, opts.message);
    // The inventory re-reads in the background (its `esphome config` can take seconds).
    void this.inventory.notifyChanged([r.path]);
    const validation = opts.validate ? await this.validate(this.inventory.dependents(r.path), actor.source) : [];
    return { ...r, validation };
  }

  async create(
    req: {
      name: string;
      friendlyName?: string;
      template: DeviceTemplate;
      board?: string;
      message?: string;
      validate: boolean;
    },
    actor: Actor,
  ) {
    const repo = this.ws.repo();
    const rel = `${req.name}.yaml`;
    if (this.inventory.fileOf(req.name)) throw new WorkspaceError("conflict", `a device ${req.name} already exists`);
    const keys = secretKeys((await readWorking(repo, "secrets.yaml"))?.toString("utf8") ?? null);
    const { text, warnings } = renderTemplate({ ...req, secretKeys: keys });
    const label = TEMPLATES[req.template].label;
    const r = await createFile(
      this.ws.context(),
      rel,
      text,
      actor,
      `Create device ${req.name} (${label})`,
      req.message,
    );
    await this.inventory.notifyChanged([r.path]);
    const validation = req.validate ? await this.validate([req.name], actor.source) : [];
    const file: WorkspaceFile = { path: r.path, content: text, sha256: r.sha256, size: r.bytes.length, commit: null };
    return { file, commit: r.commit, warnings, validation };
  }

  async rename(id: string, name: string, guard: Guard, actor: Actor, message?: string) {
    const file = this.deviceFile(id);
    const ext = /\.yml$/.test(file) ? ".yml" : ".yaml";
    if (this.inventory.fileOf(name)) throw new WorkspaceError("conflict", `a device ${name} already exists`);
    const r = await renameDevice(this.ws.context(), file, `${name}${ext}`, name, guard, actor, message);
    void this.inventory.notifyChanged([r.from, r.to]);
    return r;
  }

  async remove(id: string, guard: Guard, actor: Actor) {
    const r = await deleteFile(this.ws.context(), this.deviceFile(id), guard, actor);
    void this.inventory.notifyChanged([r.path]);
    return r;
  }

  async restore(rel: string | undefined, ref: string, actor: Actor, message?: string) {
    const r = rel
      ? await restoreFile(this.ws.context(), rel, ref, actor, message)
      : await restoreFolder(this.ws.context(), ref, actor, message);
    if (r.paths.length) void this.inventory.notifyChanged(r.paths);
    return r;
  }

  /** A metadata-block change (the PATCH route) as one commit of the device's file. */
  async metadata<T>(id: string, what: string, apply: () => Promise<T>, actor: Actor): Promise<T> {
    if (!this.ws.enabled) return apply();
    const file = this.deviceFile(id);
    const ctx = this.ws.context();
    return ctx.queue.run(async () => {
      await ctx.commitExternal([file]);
      const out = await apply();
      const commit = await commitPaths(ctx.repo, {
        paths: [file],
        actor,
        action: "metadata",
        subject: `Set ${what} of ${id}`,
      });
      if (commit) ctx.committed(commit, [file]);
      return out;
    });
  }

  async templates() {
    const keys = secretKeys(
      (await readWorking(this.ws.repo(), "secrets.yaml").catch(() => null))?.toString("utf8") ?? null,
    );
    return {
      templates: Object.entries(TEMPLATES).map(([id, t]) => ({
        id: id as DeviceTemplate,
        label: t.label,
        board: t.board,
      })),
      secretKeys: keys,
    };
  }
}
