// Where the sidecar keeps its files, and the one function every untrusted path goes through.
import { existsSync, lstatSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep, win32 } from "node:path";
import { PathEscapeError } from "../util/errors.js";

export { PathEscapeError } from "../util/errors.js";

export interface DataPaths {
  dataDir: string;
  /** The SQLite database (queue, history, settings, workers, tokens). */
  dbFile: string;
  /** Content-addressed firmware archive. */
  firmwareDir: string;
  /** The ESPHome config folder. */
  configDir: string;
  /** The generated admin token, kept between runs. */
  adminTokenFile: string;
  keysDir: string;
}

/** The layout under a data folder; `configDir` defaults to `<dataDir>/config`. All paths absolute. */
export function dataPaths(dataDir: string, configDir?: string): DataPaths {
  const root = resolve(dataDir);
  return {
    dataDir: root,
    dbFile: join(root, "forge.db"),
    firmwareDir: join(root, "firmware"),
    configDir: configDir ? resolve(configDir) : join(root, "config"),
    adminTokenFile: join(root, "admin-token"),
    keysDir: join(root, "keys"),
  };
}

/**
 * Joins untrusted relative segments under `root` and returns the absolute result. Throws
 * PathEscapeError for NUL bytes, absolute segments, `..` that climbs above root, and symlinks
 * whose real location lies outside root (checked on the deepest part of the path that exists,
 * so a not-yet-created file under a symlinked folder is caught too).
 */
export function safeJoin(root: string, ...segments: string[]): string {
  const base = resolve(root);
  for (const s of segments) {
    if (typeof s !== "string") throw new PathEscapeError("path segment is not a string");
    if (s.includes("\0")) throw new PathEscapeError("path contains a NUL byte");
    // win32.isAbsolute also catches `C:\…` and `\\server\…`, which some clients send.
    if (isAbsolute(s) || win32.isAbsolute(s)) throw new PathEscapeError(`absolute path not allowed: ${s}`);
  }
  const target = resolve(base, ...segments);
  if (!inside(base, target)) throw new PathEscapeError(`path leaves its folder: ${segments.join("/")}`);
  if (existsSync(base)) {
    const realBase = realpathSync(base);
    const real = realpathSync(deepestExisting(target));
    if (!inside(realBase, real))
      throw new PathEscapeError(`path leaves its folder through a symlink: ${segments.join("/")}`);
  }
  return target;
}

function inside(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The longest prefix of `p` that exists (as a link or a file). A dangling symlink is refused:
 * writing through it would create a file wherever it points. */
function deepestExisting(p: string): string {
  let cur = p;
  for (;;) {
    const st = lstatSync(cur, { throwIfNoEntry: false });
    if (st) {
      if (st.isSymbolicLink() && !existsSync(cur)) throw new PathEscapeError(`dangling symlink in path: ${cur}`);
      return cur;
    }
    const up = dirname(cur);
    if (up === cur) return cur;
    cur = up;
  }
}
