// Tolerant YAML → JS conversion for ESPHome files. Every local tag (`!secret`, `!include`, `!lambda`,
// `!extend`, or anything unknown) becomes a `Tagged` marker instead of an error, so a later pass can
// decide what each one means. PyYAML (and so ESPHome) reads YAML 1.1, hence `version: "1.1"`
// (`on`/`yes` are booleans there). Merge keys (`<<`) are handled here because ESPHome supports them.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node, ScalarTag, Tags } from "yaml";

export class Tagged {
  constructor(
    readonly tag: string,
    readonly value: unknown,
    readonly line: number | null,
  ) {}
}

export type YamlMap = Record<string, unknown>;

/**
 * A mapping whose merge key (`<<`) names something only the loader can resolve (`<<: !include
 * common.yaml`) keeps its merge sources here, in order, and merges nothing yet: the loader expands
 * them and merges (loader.ts), so the included file is read, bundled and hashed like any include.
 */
const MERGE_SOURCES = Symbol("mergeSources");

export function mergeSourcesOf(map: YamlMap): unknown[] | undefined {
  return (map as { [MERGE_SOURCES]?: unknown[] })[MERGE_SOURCES];
}

export function setMergeSources(map: YamlMap, sources: unknown[]): void {
  Object.defineProperty(map, MERGE_SOURCES, { value: sources, enumerable: false, configurable: true });
}

/** Merges `sources` under `map` the YAML way: keys already there win, earlier sources over later ones. */
export function mergeUnder(map: YamlMap, sources: unknown[]): void {
  for (const src of sources) {
    if (!isPlainObject(src)) continue;
    for (const [k, v] of Object.entries(src)) if (!Object.hasOwn(map, k)) setKey(map, k, v);
  }
}

export interface ParsedYaml {
  value: unknown;
  error: { line: number | null; message: string } | null;
}

const MAX_DEPTH = 200;

// The `yaml` package's 1.1 schema also reads `y`/`n` as booleans; PyYAML does not.
const BOOL = "tag:yaml.org,2002:bool";
const pyBool = (value: boolean, test: RegExp): ScalarTag => ({
  tag: BOOL,
  default: true,
  test,
  identify: (v) => v === value,
  resolve: () => value,
});
const PY_BOOLS = [
  pyBool(true, /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/),
  pyBool(false, /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/),
];
const pyYamlTags = (tags: Tags): Tags => [...tags.filter((t) => typeof t === "string" || t.tag !== BOOL), ...PY_BOOLS];

export function isPlainObject(v: unknown): v is YamlMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tagged);
}

/** Sets a key without ever touching Object.prototype (`__proto__` is a legal YAML key). */
export function setKey(obj: YamlMap, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function parseYaml(text: string): ParsedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    version: "1.1",
    customTags: pyYamlTags,
    merge: false,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const lineOf = (offset: number | undefined) => (offset == null ? null : lc.linePos(offset).line);
  const first = doc.errors[0];
  if (first) {
    const message = first.message.split("\n")[0] ?? first.message;
    return { value: null, error: { line: lineOf(first.pos[0]), message } };
  }
  try {
    return { value: convert(doc, doc.contents as Node | null, lineOf, 0), error: null };
  } catch (e) {
    return { value: null, error: { line: null, message: (e as Error).message } };
  }
}

function convert(
  doc: Document,
  node: Node | null,
  lineOf: (o: number | undefined) => number | null,
  depth: number,
): unknown {
  if (node == null) return null;
  if (depth > MAX_DEPTH) throw new Error("YAML nesting is too deep (recursive alias?)");
  if (isAlias(node)) return convert(doc, (node.resolve(doc) as Node | undefined) ?? null, lineOf, depth + 1);
  const tag = node.tag && node.tag.startsWith("!") && !node.tag.startsWith("!!") ? node.tag : null;
  const line = lineOf(node.range?.[0]);
  let value: unknown;
  if (isScalar(node)) {
    if (tag) return new Tagged(tag, typeof node.source === "string" ? node.source : String(node.value ?? ""), line);
    return node.value;
  } else if (isSeq(node)) {
    value = node.items.map((item) => convert(doc, item as Node | null, lineOf, depth + 1));
  } else if (isMap(node)) {
    const obj: YamlMap = {};
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const isMergeKey = isScalar(keyNode) && keyNode.source === "<<" && keyNode.type === "PLAIN";
      const v = convert(doc, pair.value as Node | null, lineOf, depth + 1);
      if (isMergeKey) merges.push(...(Array.isArray(v) ? v : [v]));
      else setKey(obj, keyToString(convert(doc, keyNode, lineOf, depth + 1)), v);
    }
    // Explicit keys win over merged ones; earlier merge sources win over later ones (YAML merge spec).
    if (merges.some((m) => m instanceof Tagged)) setMergeSources(obj, merges);
    else mergeUnder(obj, merges);
    value = obj;
  } else {
    value = null;
  }
  return tag ? new Tagged(tag, value, line) : value;
}

function keyToString(k: unknown): string {
  if (k instanceof Tagged) return String(k.value);
  if (k === null || k === undefined) return "null";
  return typeof k === "object" ? JSON.stringify(k) : String(k);
}
