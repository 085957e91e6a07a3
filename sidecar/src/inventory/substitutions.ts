// `${var}` / `$var` substitution and local `packages:` merging for the plain YAML read. This is a
// best-effort approximation of ESPHome (which also evaluates Jinja-style expressions); the real
// `esphome config` is the source of truth whenever it is available.
import { isPlainObject, mergeSourcesOf, setKey, setMergeSources, Tagged } from "./yaml-ast.js";
import type { YamlMap } from "./yaml-ast.js";

const VAR = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function scalarText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return null;
}

function substituteString(s: string, vars: Record<string, unknown>): unknown {
  if (!s.includes("$")) return s;
  // A value that is exactly one variable keeps the variable's type (as in ESPHome).
  const whole = /^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(s);
  const wholeName = whole?.[1] ?? whole?.[2];
  if (wholeName && Object.hasOwn(vars, wholeName) && scalarText(vars[wholeName]) != null) return vars[wholeName];
  return s.replace(VAR, (m, a: string | undefined, b: string | undefined) => {
    const name = a ?? b ?? "";
    const text = Object.hasOwn(vars, name) ? scalarText(vars[name]) : null;
    return text ?? m;
  });
}

/** Replaces `${var}` / `$var` in every string (including inside tags such as `!lambda`). */
export function substituteVars(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === "string") return substituteString(v, vars);
  if (Array.isArray(v)) return v.map((x) => substituteVars(x, vars));
  if (v instanceof Tagged) return new Tagged(v.tag, substituteVars(v.value, vars), v.line);
  if (isPlainObject(v)) {
    const out: YamlMap = {};
    for (const [k, x] of Object.entries(v)) setKey(out, k, substituteVars(x, vars));
    const merges = mergeSourcesOf(v); // `<<: !include ${file}` not resolved yet
    if (merges)
      setMergeSources(
        out,
        merges.map((m) => substituteVars(m, vars)),
      );
    return out;
  }
  return v;
}

/** Applies the config's own `substitutions:` (which may refer to each other) to the rest of it. */
export function applySubstitutions(config: YamlMap): YamlMap {
  const subs = isPlainObject(config.substitutions) ? { ...config.substitutions } : {};
  for (let pass = 0; pass < 8; pass++) {
    let changed = false;
    for (const [k, v] of Object.entries(subs)) {
      const next = substituteVars(v, subs);
      if (next !== v && JSON.stringify(next) !== JSON.stringify(v)) {
        setKey(subs, k, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const out: YamlMap = {};
  for (const [k, v] of Object.entries(config)) setKey(out, k, k === "substitutions" ? subs : substituteVars(v, subs));
  return out;
}

/** A remote package (`github://…` shorthand or `{url: …}`) cannot be read locally. */
function isRemotePackage(p: unknown): boolean {
  return typeof p === "string" || (isPlainObject(p) && typeof p.url === "string");
}

/** Merges ESPHome-style: maps recursively, lists concatenated (package first), scalars from `over`. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: YamlMap = { ...base };
    for (const [k, v] of Object.entries(over)) setKey(out, k, Object.hasOwn(base, k) ? mergeConfig(base[k], v) : v);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  return over === undefined ? base : over;
}

/** Merges local `packages:` (map or list form, nested packages too) underneath the config itself. */
export function mergePackages(config: YamlMap, depth = 0): YamlMap {
  const pkgs = config.packages;
  if (depth > 16 || (!isPlainObject(pkgs) && !Array.isArray(pkgs))) return config;
  let base: unknown = {};
  for (const p of Array.isArray(pkgs) ? pkgs : Object.values(pkgs)) {
    if (!isPlainObject(p) || isRemotePackage(p)) continue;
    base = mergeConfig(base, mergePackages(p, depth + 1));
  }
  const rest: YamlMap = {};
  for (const [k, v] of Object.entries(config)) if (k !== "packages") setKey(rest, k, v);
  return mergeConfig(base, rest) as YamlMap;
}
