// Which files of the config folder the workspace reads and writes, and where they really are. A
// path is judged lexically (inside the folder, no hidden segment, an editable kind of file) and by
// its real location: a symlink counts as its target, which must pass the same checks.
import { createHash } from "node:crypto";
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { isHidden, relInside } from "../inventory/safe-path.js";
import { WorkspaceError } from "./errors.js";

/** Text files a device config uses: YAML, and the C/C++ sources and data files lambdas include. */
const EDITABLE = /\.(?:ya?ml|h|hh|hpp|c|cc|cpp|ino|txt|md|json|csv|jinja|j2)$/i;
export const SECRETS_FILE = /^secrets\.ya?ml$/;
/** Largest file the editor loads or saves. */
export const MAX_EDIT_BYTES = 1024 * 1024;

export const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** secrets.yaml anywhere in the folder (ESPHome reads the one next to the file that uses `!secret`). */
export const isSecrets = (rel: string) => SECRETS_FILE.test(rel.split("/").at(-1) ?? rel);

function checkName(rel: string, what: string): void {
  if (isHidden(rel)) throw new WorkspaceError("forbidden", `${what} ${rel} is hidden (dot file or folder)`);
  if (!EDITABLE.test(rel))
    throw new WorkspaceError(
      "forbidden",
      `${what} ${rel} is not a kind of file the editor handles (YAML, C/C++, text)`,
    );
}

export interface ResolvedPath {
  rel: string;
  /** Where the bytes are (the symlink's target for a symlink). */
  abs: string;
  exists: boolean;
}

/** Resolves a config-relative path for reading or writing; throws a WorkspaceError when it is not allowed. */
export async function resolveEditable(rootReal: string, input: string): Promise<ResolvedPath> {
  let rel: string;
  try {
    rel = relInside("", input);
  } catch (e) {
    throw new WorkspaceError("bad_request", (e as Error).message);
  }
  if (!rel) throw new WorkspaceError("bad_request", "a file path is required");
  checkName(rel, "file");
  const abs = path.join(rootReal, rel);
  const st = await lstat(abs).catch(() => null);
  if (!st) {
    // A new file: its folder must really be inside the config folder.
    const dirReal = await realpath(path.dirname(abs)).catch(() => null);
    if (!dirReal) throw new WorkspaceError("not_found", `no folder ${path.posix.dirname(rel)} in the config folder`);
    if (dirReal !== rootReal && !dirReal.startsWith(rootReal + path.sep))
      throw new WorkspaceError("forbidden", `${rel} would be written outside the config folder`);
    const realRel = path
      .relative(rootReal, path.join(dirReal, path.basename(abs)))
      .split(path.sep)
      .join("/");
    if (isHidden(realRel)) throw new WorkspaceError("forbidden", `${rel} would be written into a hidden folder`);
    return { rel, abs: path.join(dirReal, path.basename(abs)), exists: false };
  }
  const real = await realpath(abs).catch(() => null);
  if (!real) throw new WorkspaceError("not_found", `${rel} is a dangling symlink`);
  if (real !== rootReal && !real.startsWith(rootReal + path.sep))
    throw new WorkspaceError("forbidden", `${rel} resolves outside the config folder`);
  const realRel = path.relative(rootReal, real).split(path.sep).join("/");
  checkName(realRel, `${rel} points to`);
  if (isSecrets(realRel) && !isSecrets(rel)) throw new WorkspaceError("forbidden", `${rel} is a link to secrets.yaml`);
  const target = await lstat(real);
  if (!target.isFile()) throw new WorkspaceError("bad_request", `${rel} is not a regular file`);
  return { rel, abs: real, exists: true };
}

/** The text of a file the editor may load: UTF-8 and at most MAX_EDIT_BYTES. */
export function asText(rel: string, bytes: Buffer): string {
  if (bytes.length > MAX_EDIT_BYTES) throw new WorkspaceError("bad_request", `${rel} is larger than 1 MiB`);
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) throw new WorkspaceError("bad_request", `${rel} is not UTF-8 text`);
  return text;
}

/** `If-Match: "<sha256>"` (quotes and a weak prefix tolerated) → the digest, or null. */
export function parseIfMatch(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^\s*(?:W\/)?"?([0-9a-f]{64})"?\s*$/i.exec(header);
  return m ? m[1]!.toLowerCase() : null;
}
