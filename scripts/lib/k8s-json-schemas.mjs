/* global process, console */
// Turns Kubernetes' OpenAPI (v2) document and CRD files into the per-kind JSON schemas kubeconform
// reads from a local folder: `<kind>-<group>-<version>.json` (`deployment-apps-v1.json`,
// `service-v1.json`, `scaledobject-keda-v1alpha1.json`), each self-contained (the definitions it
// reaches, not all 600) and strict (objects refuse properties they do not declare, as
// kubeconform's `-strict` schemas do). Kubernetes' special string formats become what YAML
// authors actually write: int-or-string accepts both, a quantity accepts numbers too.
// Usage: node k8s-json-schemas.mjs swagger.json crd-folder out-folder
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const [swaggerFile, crdDir, outDir] = process.argv.slice(2);
if (!outDir) throw new Error("usage: k8s-json-schemas.mjs swagger.json crd-folder out-folder");

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING = { oneOf: [{ type: "string" }, { type: "integer" }] };

/** A copy of a schema node with the conversions applied; refs are collected into `seen`. */
function convert(node, refs) {
  if (Array.isArray(node)) return node.map((n) => convert(n, refs));
  if (!node || typeof node !== "object") return node;
  if (node.format === "int-or-string" || node["x-kubernetes-int-or-string"] === true) {
    const { description } = node;
    return { ...INT_OR_STRING, ...(description ? { description } : {}) };
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("x-kubernetes-")) continue;
    if (k === "$ref" && typeof v === "string") {
      refs?.push(v.replace("#/definitions/", ""));
      out[k] = v;
    } else if (k === "properties" || k === "patternProperties") {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, convert(s, refs)]));
    } else out[k] = convert(v, refs);
  }
  const open = node["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  if (open && out.type === "object" && !out.properties) delete out.additionalProperties;
  return out;
}

function fileName(kind, group, version) {
  const g = group ? `-${group.split(".")[0].toLowerCase()}` : "";
  return `${kind.toLowerCase()}${g}-${version.toLowerCase()}.json`;
}

let written = 0;
const swagger = JSON.parse(readFileSync(swaggerFile, "utf8"));
const defs = swagger.definitions;
const converted = new Map();
function definition(name) {
  if (!converted.has(name)) {
    const refs = [];
    const schema =
      name === QUANTITY ? { oneOf: [{ type: "string" }, { type: "number" }] } : convert(defs[name] ?? {}, refs);
    converted.set(name, { schema, refs });
  }
  return converted.get(name);
}
for (const [name, def] of Object.entries(defs)) {
  for (const gvk of def["x-kubernetes-group-version-kind"] ?? []) {
    // Only the kinds of the API's own version (skip e.g. DeleteOptions listed under every group).
    if (!def.properties?.kind) continue;
    const reached = new Map();
    const queue = [...definition(name).refs];
    while (queue.length) {
      const ref = queue.pop();
      if (reached.has(ref)) continue;
      const d = definition(ref);
      reached.set(ref, d.schema);
      queue.push(...d.refs);
    }
    const schema = { ...definition(name).schema, definitions: Object.fromEntries(reached) };
    writeFileSync(join(outDir, fileName(gvk.kind, gvk.group, gvk.version)), JSON.stringify(schema));
    written++;
  }
}

for (const file of readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f))) {
  for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), "utf8"))) {
    const crd = doc.toJS();
    if (crd?.kind !== "CustomResourceDefinition") continue;
    for (const v of crd.spec.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema) continue;
      writeFileSync(
        join(outDir, fileName(crd.spec.names.kind, crd.spec.group, v.name)),
        JSON.stringify(convert(schema)),
      );
      written++;
    }
  }
}
console.log(`k8s-json-schemas: wrote ${written} schemas to ${outDir}`);
