// What a build of one device needs, gathered like ESPHome's own bundler does: the YAML files the
// loader read, files the config refers to by path (fonts, images, certificates, `esphome.includes`,
// local `external_components`), and each secrets.yaml filtered to the keys the config references.
// Never hidden paths (.git, .esphome), never other devices' YAMLs picked up by path, never
// unreferenced secrets. Also computes the config hash.
import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import type { Diagnostic } from "./errors.js";
import type { LoadedConfig } from "./loader.js";
import { MAX_FILE_BYTES, readInside } from "./loader.js";
import { stripMetadata } from "./metadata-block.js";
import { isHidden, realInside, relInside } from "./safe-path.js";
import { isSecretsName } from "./secrets-guard.js";
import { isPlainObject, Tagged } from "./yaml-ast.js";

export interface JobFile {
  path: string;
  content: string;
  /** Set for files that are not UTF-8 text (fonts, images): `content` is then base64. */
  encoding?: "base64";
}

export interface CollectedFiles {
  files: JobFile[];
  /** sha256 over the files (sorted path + content) with the main file's metadata block removed. */
  configHash: string;
  /** The same over the exact bytes (the ESPHome resolution cache key). */
  rawHash: string;
  /** Every config-relative path whose change can change this device (for the watcher). */
  deps: Set<string>;
  /** Folders whose listing matters (`!include_dir_*`, include/component folders). */
  dirs: Set<string>;
  /** Files the config refers to that may not leave the config folder (links to a secrets file). */
  errors: Diagnostic[];
}

const MAX_DIR_FILES = 500;
const PATHISH = /(?:\/|\.[A-Za-z0-9]{1,6}$)/;

export async function collectJobFiles(
  rootReal: string,
  mainRel: string,
  loaded: LoadedConfig,
  finalConfig: unknown,
  deviceFiles: ReadonlySet<string>,
): Promise<CollectedFiles> {
  const bytes = new Map<string, Buffer>(loaded.files);
  const deps = new Set<string>([...loaded.files.keys(), ...loaded.dirs, ...loaded.missing, "secrets.yaml"]);
  const dirs = new Set<string>(loaded.dirs);
  const errors: Diagnostic[] = [];
  for (const f of loaded.files.keys()) deps.add(path.posix.join(path.posix.dirname(f), "secrets.yaml"));

  /** `named`: the config names this file itself (a folder's contents are skipped silently). */
  const add = async (rel: string, named: boolean) => {
    if (bytes.has(rel) || isHidden(rel)) return;
    // Judged by the real file: a link named like a font may lead to secrets.yaml, .git or another device.
    const real = await loaded.guard.inspect(rel);
    // An alias (a "font" linking to secrets.yaml) is an error; the name secrets.yaml itself is skipped.
    if (real?.secrets && named && !isSecretsName(rel))
      errors.push({
        file: mainRel,
        line: null,
        message: `${rel} is a secrets file (or a link to one) and is never sent to a worker; use !secret`,
      });
    if (!real || real.secrets || real.hidden) return;
    if ((deviceFiles.has(rel) || deviceFiles.has(real.realRel)) && rel !== mainRel) return;
    try {
      bytes.set(rel, await readInside(rootReal, rel));
      deps.add(rel);
    } catch {
      // Not a readable file inside the config folder: the string was not a local path after all.
    }
  };
  for (const ref of referencedPaths(finalConfig)) {
    const rel = safeRel(ref.path);
    if (rel == null) continue;
    if (ref.dir) {
      const under = await filesUnder(rootReal, rel);
      if (under.length && under[0] !== rel) {
        dirs.add(rel);
        deps.add(rel);
      }
      for (const f of under) await add(f, f === rel);
    } else await add(rel, true);
  }

  for (const [secretsRel, used] of loaded.secrets) {
    deps.add(secretsRel);
    const keys = [...used.keys()].sort();
    const filtered: Record<string, unknown> = {};
    for (const k of keys) filtered[k] = used.get(k);
    bytes.set(secretsRel, Buffer.from(keys.length ? stringify(filtered) : "{}\n"));
  }

  const files: JobFile[] = [...bytes.keys()].sort().map((p) => toJobFile(p, bytes.get(p)!));
  const hash = (strip: boolean) => {
    const h = createHash("sha256");
    for (const p of [...bytes.keys()].sort()) {
      let b = bytes.get(p)!;
      if (strip && p === mainRel) b = Buffer.from(stripMetadata(b.toString("utf8")));
      h.update(p).update("\0").update(b).update("\0");
    }
    return h.digest("hex");
  };
  return { files, configHash: hash(true), rawHash: hash(false), deps, dirs, errors };
}

function toJobFile(p: string, b: Buffer): JobFile {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(b);
    if (!text.includes("\0")) return { path: p, content: text };
  } catch {
    // not UTF-8
  }
  return { path: p, content: b.toString("base64"), encoding: "base64" };
}

function safeRel(p: string): string | null {
  try {
    const rel = relInside("", p);
    return rel && !isHidden(rel) ? rel : null;
  } catch {
    return null;
  }
}

/** Local paths a config refers to: any path-like string, plus the folders ESPHome copies whole. */
export function referencedPaths(config: unknown): { path: string; dir: boolean }[] {
  const out: { path: string; dir: boolean }[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      if (v.length <= 255 && !v.includes("\n") && !v.includes("://") && PATHISH.test(v))
        out.push({ path: v, dir: false });
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v instanceof Tagged) {
      if (v.tag !== "!lambda") walk(v.value);
    } else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(config);
  if (!isPlainObject(config)) return out;
  const esphome = isPlainObject(config.esphome) ? config.esphome : {};
  for (const key of ["includes", "includes_c"]) {
    const list = esphome[key];
    for (const p of Array.isArray(list) ? list : []) if (typeof p === "string") out.push({ path: p, dir: true });
  }
  const ext = config.external_components;
  for (const c of Array.isArray(ext) ? ext : []) {
    if (!isPlainObject(c)) continue;
    const src = c.source;
    if (typeof src === "string" && !/^(github:\/\/|https?:\/\/|git@)/.test(src)) out.push({ path: src, dir: true });
    if (isPlainObject(src) && src.type === "local" && typeof src.path === "string")
      out.push({ path: src.path, dir: true });
  }
  return out;
}

/** Every non-hidden file under `rel` when it is a folder; `[rel]` when it is a file; `[]` otherwise. */
async function filesUnder(rootReal: string, rel: string): Promise<string[]> {
  try {
    const abs = await realInside(rootReal, rel);
    const st = await stat(abs);
    if (st.isFile()) return st.size <= MAX_FILE_BYTES ? [rel] : [];
    if (!st.isDirectory()) return [];
    const entries = await readdir(abs, { recursive: true, withFileTypes: true });
    const out: string[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const sub = path.relative(abs, path.join(e.parentPath, e.name)).split(path.sep).join("/");
      if (!isHidden(sub)) out.push(path.posix.join(rel, sub));
      if (out.length >= MAX_DIR_FILES) break;
    }
    return out.sort();
  } catch {
    return [];
  }
}
