// Changes `esphome.name` in a device's YAML for a rename, touching only the bytes of that one value
// (comments, order, quoting and line endings elsewhere stay as they are). A name written as
// `${var}` changes the substitution `var` in the same file instead.
import { isMap, isScalar, parseDocument, type Document, type Scalar } from "yaml";

export interface RenameResult {
  text: string;
  /** Set when the name could not be changed in the file (it comes from a package, a `!include`, …). */
  warning: string | null;
}

function scalarAt(doc: Document, path: string[]): Scalar | null {
  const node = doc.getIn(path, true);
  return isScalar(node) ? (node as Scalar) : null;
}

function replaceScalar(text: string, node: Scalar, value: string): string {
  const [start, end] = node.range!;
  const quote = node.type === "QUOTE_DOUBLE" ? '"' : node.type === "QUOTE_SINGLE" ? "'" : "";
  return text.slice(0, start) + quote + value + quote + text.slice(end);
}

export function renameNode(text: string, newName: string): RenameResult {
  const doc = parseDocument(text, { version: "1.1", keepSourceTokens: true, uniqueKeys: false, strict: false });
  if (doc.errors.length)
    return { text, warning: `the file does not parse as YAML (${doc.errors[0]!.message}); esphome.name left as it is` };
  if (!isMap(doc.contents)) return { text, warning: "the file has no top-level mapping; esphome.name left as it is" };
  const name = scalarAt(doc, ["esphome", "name"]);
  if (!name || typeof name.value !== "string" || !name.range)
    return { text, warning: "esphome.name is not a plain value in this file; change it where it is defined" };
  const sub = /^\$\{?([A-Za-z0-9_]+)\}?$/.exec(name.value);
  if (sub) {
    const target = scalarAt(doc, ["substitutions", sub[1]!]);
    if (!target?.range || typeof target.value !== "string")
      return { text, warning: `esphome.name comes from the substitution ${sub[1]}, which is not defined in this file` };
    return { text: replaceScalar(text, target, newName), warning: null };
  }
  if (name.value.includes("$"))
    return {
      text,
      warning: `esphome.name (${name.value}) is built from substitutions; change it where they are defined`,
    };
  if (name.type === "BLOCK_LITERAL" || name.type === "BLOCK_FOLDED")
    return { text, warning: "esphome.name is a block scalar; change it by hand" };
  return { text: replaceScalar(text, name, newName), warning: null };
}
