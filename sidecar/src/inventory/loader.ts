// Loads one device config the way ESPHome's YAML loader would, without running ESPHome: follows
// `!include` (scalar or {file, vars}) and `!include_dir_*` relative to the including file, looks up
// `!secret` in the including file's secrets.yaml (else the main one), takes `!env_var`'s default (never
// the sidecar's own environment: a YAML must not be able to read the admin token), and keeps
// `!lambda`, `!extend`, `!remove`, `!force` and unknown tags as markers. It records every file it read
// and every secret key it used (the job files are built from that). It never throws for a bad config:
// problems become diagnostics and the affected value becomes null.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "./errors.js";
import { InventoryError } from "./errors.js";
import { isHidden, realInside, relInside } from "./safe-path.js";
import { isSecretsName, SecretsGuard } from "./secrets-guard.js";
import { substituteVars } from "./substitutions.js";
import { isPlainObject, mergeSourcesOf, mergeUnder, parseYaml, setKey, Tagged } from "./yaml-ast.js";

export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_INCLUDE_DEPTH = 32;
const MAX_DIR_FILES = 500;

export interface LoadedConfig {
  /** The main file's parsed content with includes and secrets expanded (packages not merged yet). */
  config: unknown;
  /** Every YAML file read, relative path → bytes; the main file first. */
  files: Map<string, Buffer>;
  /** Folders listed by `!include_dir_*` (their contents are in `files`). */
  dirs: Set<string>;
  /** secrets file → referenced key → value. Only keys the config uses. */
  secrets: Map<string, Map<string, unknown>>;
  /** Paths the config asked for that could not be read (watched so that fixing them is noticed). */
  missing: Set<string>;
  errors: Diagnostic[];
  /** Judges files by their real path (a link to secrets.yaml is secrets.yaml); reused for the job files. */
  guard: SecretsGuard;
}

/**
 * Parsed secrets files by content: every device of a scan reads the same secrets.yaml, which is parsed
 * once. Only maps of plain scalars are shared (nothing a later step could change in place).
 */
const parsedSecrets = new Map<string, Record<string, unknown>>();
const SECRETS_REMEMBERED = 16;

function rememberSecrets(text: string, secrets: Record<string, unknown>): void {
  if (!Object.values(secrets).every((v) => v === null || typeof v !== "object")) return;
  if (parsedSecrets.size >= SECRETS_REMEMBERED) parsedSecrets.delete(parsedSecrets.keys().next().value!);
  parsedSecrets.set(text, Object.freeze(secrets));
}

export async function loadConfig(rootReal: string, mainRel: string): Promise<LoadedConfig> {
  const loader = new Loader(rootReal);
  const config = await loader.loadFile(mainRel, {}, [], null);
  return {
    config,
    files: loader.files,
    dirs: loader.dirs,
    secrets: loader.secretRefs,
    missing: loader.missing,
    errors: loader.errors,
    guard: loader.guard,
  };
}

/** Reads a file inside the config folder with the size cap; throws InventoryError/ENOENT. */
export async function readInside(rootReal: string, rel: string): Promise<Buffer> {
  const abs = await realInside(rootReal, rel);
  const st = await stat(abs);
  if (!st.isFile()) throw new Error(`${rel} is not a file`);
  if (st.size > MAX_FILE_BYTES) throw new Error(`${rel} is larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(abs);
}

class Loader {
  readonly files = new Map<string, Buffer>();
  readonly dirs = new Set<string>();
  readonly secretRefs = new Map<string, Map<string, unknown>>();
  readonly missing = new Set<string>();
  readonly errors: Diagnostic[] = [];
  private readonly secretFiles = new Map<string, Promise<Record<string, unknown> | null>>();
  readonly guard: SecretsGuard;

  constructor(private readonly root: string) {
    this.guard = new SecretsGuard(root);
  }

  async loadFile(
    rel: string,
    vars: Record<string, unknown>,
    stack: string[],
    from: Diagnostic | null,
  ): Promise<unknown> {
    const fail = (message: string, line: number | null = null, file: string = rel) => {
      this.errors.push(from ? { ...from, message: `${from.message}: ${message}` } : { file, line, message });
      return null;
    };
    if (stack.includes(rel)) return fail(`include cycle: ${[...stack, rel].join(" → ")}`);
    if (stack.length >= MAX_INCLUDE_DEPTH) return fail("includes nested too deeply");
    let bytes = this.files.get(rel);
    if (!bytes) {
      // Whatever name reaches it, a secrets file is never read as config (it would ship whole).
      if (await this.guard.isSecrets(rel))
        return fail(`a secrets file cannot be included (${rel} is one, or links to one); use !secret`);
      this.guard.addFolderOf(rel);
      try {
        bytes = await readInside(this.root, rel);
      } catch (e) {
        this.missing.add(rel);
        return fail(describeReadError(e, rel));
      }
      this.files.set(rel, bytes);
    }
    const parsed = parseYaml(bytes.toString("utf8"));
    if (parsed.error) {
      // A syntax error is reported where it is, even when the file was included.
      this.errors.push({ file: rel, line: parsed.error.line, message: parsed.error.message });
      return null;
    }
    const withVars = Object.keys(vars).length ? substituteVars(parsed.value, vars) : parsed.value;
    return this.expand(withVars, rel, vars, [...stack, rel]);
  }

  private async expand(v: unknown, file: string, vars: Record<string, unknown>, stack: string[]): Promise<unknown> {
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) out.push(await this.expand(item, file, vars, stack));
      return out;
    }
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) setKey(out, k, await this.expand(item, file, vars, stack));
      // `<<: !include x.yaml` (or a list of sources with includes): read like any include, then merged.
      const merges = mergeSourcesOf(v);
      if (merges) {
        const expanded: unknown[] = [];
        for (const m of merges) {
          const e = await this.expand(m, file, vars, stack);
          for (const one of Array.isArray(e) ? e : [e]) {
            // null: the include already reported why; anything else but a mapping cannot be merged.
            if (one !== null && !isPlainObject(one))
              this.errors.push({
                file,
                line: m instanceof Tagged ? m.line : null,
                message: "<< (merge key) expects a mapping",
              });
            expanded.push(one);
          }
        }
        mergeUnder(out, expanded);
      }
      return out;
    }
    if (!(v instanceof Tagged)) return v;
    const at: Diagnostic = { file, line: v.line, message: `${v.tag} ${describeArg(v.value)}` };
    switch (v.tag) {
      case "!include":
        return this.include(v, file, vars, stack, at);
      case "!include_dir_list":
      case "!include_dir_merge_list":
      case "!include_dir_named":
      case "!include_dir_merge_named":
        return this.includeDir(v, file, vars, stack, at);
      case "!secret":
        return this.secret(String(v.value), file, at);
      case "!env_var": {
        // The build's environment is the worker's (allow-listed), not ours: only the default is known here.
        const [, ...fallback] = String(v.value).trim().split(/\s+/);
        return fallback.length ? fallback.join(" ") : null;
      }
      default:
        return new Tagged(v.tag, await this.expand(v.value, file, vars, stack), v.line);
    }
  }

  private async include(v: Tagged, file: string, vars: Record<string, unknown>, stack: string[], at: Diagnostic) {
    let ref: unknown = v.value;
    let extra: Record<string, unknown> = {};
    if (isPlainObject(v.value)) {
      ref = v.value.file;
      const given = await this.expand(v.value.vars, file, vars, stack);
      if (isPlainObject(given)) extra = given;
    }
    if (typeof ref !== "string" || !ref) return this.fail(at, "expected a file path");
    const rel = this.rel(path.posix.dirname(file), ref, at);
    if (rel == null) return null;
    return this.loadFile(rel, { ...vars, ...extra }, stack, at);
  }

  private async includeDir(v: Tagged, file: string, vars: Record<string, unknown>, stack: string[], at: Diagnostic) {
    if (typeof v.value !== "string" || !v.value) return this.fail(at, "expected a folder path");
    const dir = this.rel(path.posix.dirname(file), v.value, at);
    if (dir == null) return null;
    let names: string[];
    try {
      names = await listYamlFiles(this.root, dir);
    } catch (e) {
      this.missing.add(dir);
      return this.fail(at, describeReadError(e, dir));
    }
    this.dirs.add(dir);
    const loaded: [string, unknown][] = [];
    for (const rel of names) loaded.push([rel, await this.loadFile(rel, vars, stack, null)]);
    switch (v.tag) {
      case "!include_dir_list":
        return loaded.map(([, c]) => c);
      case "!include_dir_merge_list":
        return loaded.flatMap(([, c]) => (Array.isArray(c) ? c : []));
      case "!include_dir_named": {
        const out: Record<string, unknown> = {};
        for (const [rel, c] of loaded) setKey(out, path.posix.basename(rel).replace(/\.ya?ml$/, ""), c);
        return out;
      }
      default: {
        const out: Record<string, unknown> = {};
        for (const [, c] of loaded) if (isPlainObject(c)) for (const [k, x] of Object.entries(c)) setKey(out, k, x);
        return out;
      }
    }
  }

  private async secret(key: string, file: string, at: Diagnostic): Promise<unknown> {
    // ESPHome: the including file's own secrets.yaml when it exists, else the main config's.
    const local = path.posix.join(path.posix.dirname(file), "secrets.yaml");
    let secretsRel = local;
    let secrets = await this.secretsFile(local);
    if (secrets == null && local !== "secrets.yaml") {
      secretsRel = "secrets.yaml";
      secrets = await this.secretsFile(secretsRel);
    }
    if (secrets == null) return this.fail(at, "no secrets.yaml found");
    if (!Object.hasOwn(secrets, key)) return this.fail(at, `secret '${key}' is not defined in ${secretsRel}`);
    const value = secrets[key];
    let used = this.secretRefs.get(secretsRel);
    if (!used) this.secretRefs.set(secretsRel, (used = new Map()));
    used.set(key, value);
    return value;
  }

  private secretsFile(rel: string): Promise<Record<string, unknown> | null> {
    let p = this.secretFiles.get(rel);
    if (!p) {
      p = readInside(this.root, rel).then(
        (bytes) => {
          const text = bytes.toString("utf8");
          const shared = parsedSecrets.get(text);
          if (shared) return shared;
          const parsed = parseYaml(text);
          if (parsed.error) {
            this.errors.push({ file: rel, line: parsed.error.line, message: parsed.error.message });
            return {};
          }
          const secrets = isPlainObject(parsed.value) ? parsed.value : {};
          rememberSecrets(text, secrets);
          return secrets;
        },
        () => null,
      );
      this.secretFiles.set(rel, p);
    }
    return p;
  }

  private rel(fromDir: string, ref: string, at: Diagnostic): string | null {
    try {
      return relInside(fromDir, ref);
    } catch (e) {
      this.fail(at, (e as Error).message);
      return null;
    }
  }

  private fail(at: Diagnostic, message: string): null {
    this.errors.push({ ...at, message: `${at.message}: ${message}` });
    return null;
  }
}

/** YAML files under `dir` (recursive, hidden entries skipped), sorted, as config-relative paths. */
export async function listYamlFiles(rootReal: string, dir: string): Promise<string[]> {
  const abs = await realInside(rootReal, dir);
  const entries = await readdir(abs, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !/\.ya?ml$/.test(e.name)) continue;
    const rel = path.posix.join(dir, path.relative(abs, path.join(e.parentPath, e.name)).split(path.sep).join("/"));
    if (isHidden(path.posix.relative(dir, rel)) || isSecretsName(rel)) continue;
    out.push(rel);
  }
  if (out.length > MAX_DIR_FILES) throw new Error(`${dir} holds more than ${MAX_DIR_FILES} YAML files`);
  return out.sort();
}

function describeReadError(e: unknown, rel: string): string {
  if (e instanceof InventoryError) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `${rel} does not exist`;
  if (code === "EISDIR") return `${rel} is a folder`;
  return (e as Error).message;
}

function describeArg(v: unknown): string {
  if (typeof v === "string") return v;
  if (isPlainObject(v) && typeof v.file === "string") return v.file;
  return "";
}
