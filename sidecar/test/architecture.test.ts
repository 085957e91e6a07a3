// The folder tree is the architecture: top-level folders under sidecar/src import each other without
// rings, and the build worker (a separate program that ships to other machines) reaches only the
// folders it needs, never the sidecar's hub, queue, database or API.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src", import.meta.url));
/** Folders whose code runs only inside the sidecar process. */
const SIDECAR_ONLY = new Set([
  "api",
  "config",
  "db",
  "discovery",
  "dispatch",
  "events",
  "firmware",
  "fleet",
  "queue",
  "worker-hub",
  "(root)",
]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes("/") ? rel.split("/")[0]! : "(root)";
};

function importsOf(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(/from "(\.{1,2}\/[^"]+)"/g)].map((m) =>
    normalize(join(dirname(file), m[1]!)).replace(/\.js$/, ".ts"),
  );
}

/** Every source file the build worker's own files load, directly or through others. */
function buildWorkerClosure(): Set<string> {
  const seen = new Set<string>();
  const todo = sources(join(SRC, "build-worker"));
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...importsOf(file));
  }
  return seen;
}

function folderEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const from = folderOf(file);
    for (const target of importsOf(file)) {
      const to = folderOf(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

function reachable(edges: Map<string, Set<string>>, start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(edges.get(start) ?? [])];
  while (todo.length) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(edges.get(next) ?? []));
  }
  return seen;
}

describe("sidecar folder structure", () => {
  const edges = folderEdges();

  it("has no import rings between top-level folders", () => {
    const rings = [...edges.keys()].filter((folder) => reachable(edges, folder).has(folder));
    expect(rings).toEqual([]);
  });

  it("keeps the build worker out of the sidecar's own folders", () => {
    const closure = buildWorkerClosure();
    const sidecarFiles = [...closure].filter((f) => SIDECAR_ONLY.has(folderOf(f))).map((f) => relative(SRC, f));
    expect(sidecarFiles).toEqual([]);
    expect(closure.size).toBeGreaterThan(20);
  });

  it("really sees the imports it checks", () => {
    expect(edges.get("worker-hub")?.has("queue")).toBe(true);
    expect(edges.get("(root)")?.size).toBeGreaterThan(5);
  });
});
