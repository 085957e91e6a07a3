// Support for the build isolation tests: a Node binary the build user can run (this machine's
// Node may live under /root, which other users cannot enter), the stand-in build command that
// uses it, and reading what a spying stand-in printed.
import { accessSync, chmodSync, constants, copyFileSync, linkSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { STANDIN } from "../src/devtools/processes.js";

export const BUILD_USER = "esphome-forge-build";
export const isRoot = process.getuid?.() === 0;

/** True when every folder on the way to `file` lets others through and others may run it. */
function reachableByOthers(file: string): boolean {
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) break;
  }
  return (statSync(file).mode & 0o005) === 0o005;
}

/** This process's Node, or a hard link (else a copy) of it in a folder every user can enter. */
export function reachableNode(): string {
  if (reachableByOthers(process.execPath)) return process.execPath;
  const dir = mkdtempSync(path.join(tmpdir(), "forge-node-"));
  chmodSync(dir, 0o755);
  const node = path.join(dir, "node");
  try {
    linkSync(process.execPath, node);
  } catch {
    copyFileSync(process.execPath, node);
  }
  chmodSync(node, 0o755);
  accessSync(node, constants.X_OK);
  return node;
}

/** The stand-in build command run by `node` (so the build user can start it). */
export function standinCommand(node: string): string {
  return `exec "${node}" "${STANDIN}"`;
}

/** Removes the copy reachableNode() made, if it made one. */
export function releaseNode(node: string): void {
  if (node !== process.execPath) rmSync(path.dirname(node), { recursive: true, force: true });
}

/** A temp folder the build user can enter (for its state folder), unlike mkdtemp's 0700 ones. */
export function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** What the spying stand-in printed: its environment and the outcome of each file it tried. */
export function spyReport(log: string): { env: Map<string, string>; reads: Map<string, string> } {
  // eslint-disable-next-line no-control-regex
  const clean = log.replace(/\x1b\[[0-9;]*m/g, "");
  const env = new Map<string, string>();
  const reads = new Map<string, string>();
  for (const line of clean.split("\n")) {
    const e = /^standin: env ([^=]+)=(.*)$/.exec(line);
    if (e) env.set(e[1]!, e[2]!);
    const r = /^standin: read (\S+) (ok \d+ bytes|refused \S+)$/.exec(line);
    if (r) reads.set(r[1]!, r[2]!);
  }
  return { env, reads };
}
