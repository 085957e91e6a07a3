// A copy of the repository as a fresh clone has it: the files git tracks (plus new, not ignored
// ones, so uncommitted work is what gets tested), and nothing built: no dist/, no sidecar/public/,
// no .data/. Installing the workspaces again would take minutes (better-sqlite3 builds from
// source), so node_modules links each installed package of this checkout, keeps the workspace
// links relative (they point into the copy) and keeps the install stamp (install-deps.sh is then a
// no-op, exactly as after its own `npm ci`).
import { execFileSync } from "node:child_process";
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_DIR } from "./paths.ts";

function linkPackages(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const stat = lstatSync(src);
    if (stat.isSymbolicLink())
      symlinkSync(readlinkSync(src), dst); // a workspace: stays relative
    else if (name.startsWith("@") && stat.isDirectory())
      linkPackages(src, dst); // a scope
    else if (name === ".forge-install-stamp") copyFileSync(src, dst);
    else symlinkSync(src, dst);
  }
}

export function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "forge-clean-copy-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_DIR,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    const src = join(REPO_DIR, file);
    let stat;
    try {
      stat = lstatSync(src);
    } catch {
      continue; // deleted in the working tree, not yet in git
    }
    if (!stat.isFile()) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(src, join(dir, file));
  }
  linkPackages(join(REPO_DIR, "node_modules"), join(dir, "node_modules"));
  return dir;
}
