// ESPHome config bundles (`esphome bundle`, 2026.4+): a .tar.gz whose first member is
// `manifest.json` = {manifest_version: 1, esphome_version, config_filename, files, has_secrets},
// followed by the main YAML, everything it includes or refers to, and secrets.yaml filtered to
// the keys it uses. This module creates one from files the sidecar collected (for ESPHome
// versions without `esphome bundle`, and as the fast path), runs the real `esphome bundle`, and
// reads either kind back into files for a build folder.
//
// The config digest is sha256 over the members other than manifest.json, sorted by path, each
// as `path \0 bytes \0` — the gzip header carries a timestamp and the manifest the ESPHome
// version, so neither may change the digest of the same config.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand } from "../inventory/esphome-cli.js";
import { BundleFormatError, readTarGz, writeTarGz, type TarMember } from "./tar.js";

export const MANIFEST = "manifest.json";

export interface BundleFile {
  path: string;
  content: string;
  encoding?: "utf8" | "base64";
}

export interface BundleManifest {
  manifest_version: number;
  esphome_version: string;
  config_filename: string;
  files: string[];
  has_secrets: boolean;
}

export interface ReadBundle {
  manifest: BundleManifest;
  /** Every member but the manifest, as build-folder files (binary ones base64). */
  files: BundleFile[];
  digest: string;
}

function bytesOf(f: BundleFile): Buffer {
  return f.encoding === "base64" ? Buffer.from(f.content, "base64") : Buffer.from(f.content, "utf8");
}

/** sha256 over the members (manifest excluded), sorted by path. */
export function bundleDigest(members: TarMember[]): string {
  const h = createHash("sha256");
  for (const m of [...members]
    .filter((m) => m.path !== MANIFEST)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(m.path).update("\0").update(m.data).update("\0");
  }
  return h.digest("hex");
}

/** Builds an ESPHome-format bundle from collected files; returns the .tar.gz and its digest. */
export function createBundle(
  files: BundleFile[],
  configFile: string,
  esphomeVersion: string | null,
): { data: Buffer; digest: string } {
  if (!files.some((f) => f.path === configFile))
    throw new Error(`the main config ${configFile} is not among the bundle's files`);
  const members = files
    .map((f) => ({ path: f.path, data: bytesOf(f) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: BundleManifest = {
    manifest_version: 1,
    esphome_version: esphomeVersion ?? "unknown",
    config_filename: configFile,
    files: members.map((m) => m.path),
    has_secrets: members.some((m) => path.posix.basename(m.path) === "secrets.yaml"),
  };
  const manifestMember = { path: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 2) + "\n") };
  return { data: writeTarGz([manifestMember, ...members]), digest: bundleDigest(members) };
}

/** Reads a bundle (ours or ESPHome's): manifest first, the named config present, paths relative. */
export function readBundle(gz: Buffer): ReadBundle {
  const members = readTarGz(gz);
  const first = members[0];
  if (!first || first.path !== MANIFEST) throw new BundleFormatError("manifest.json is not the first member");
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(first.data.toString("utf8")) as BundleManifest;
  } catch {
    throw new BundleFormatError("manifest.json is not JSON");
  }
  if (manifest.manifest_version !== 1)
    throw new BundleFormatError(`manifest_version ${String(manifest.manifest_version)} is not supported`);
  const rest = members.slice(1);
  if (typeof manifest.config_filename !== "string" || !rest.some((m) => m.path === manifest.config_filename)) {
    throw new BundleFormatError(
      `the config file ${JSON.stringify(manifest.config_filename)} named by the manifest is missing`,
    );
  }
  const files = rest.map((m) => toFile(m));
  return { manifest, files, digest: bundleDigest(rest) };
}

function toFile(m: TarMember): BundleFile {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(m.data);
    if (!text.includes("\0")) return { path: m.path, content: text };
  } catch {
    // binary
  }
  return { path: m.path, content: m.data.toString("base64"), encoding: "base64" };
}

/** Runs the real `esphome bundle <config> -o <tmp>` in the config's folder and returns the archive. */
export async function esphomeBundle(esphomeBin: string, configPath: string, timeoutMs = 60_000): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), "forge-bundle-"));
  const out = path.join(dir, "config.esphomebundle.tar.gz");
  try {
    const r = await runCommand(
      [esphomeBin, "bundle", path.basename(configPath), "-o", out],
      path.dirname(configPath),
      timeoutMs,
    );
    if (r.spawnError) throw new Error(`could not run ${esphomeBin}: ${r.spawnError.message}`);
    if (r.timedOut) throw new Error(`esphome bundle timed out after ${timeoutMs} ms`);
    if (r.code !== 0) {
      const last =
        `${r.stdout}\n${r.stderr}`
          .split("\n")
          .filter((l) => /ERROR|rror/.test(l))
          .at(-1) ?? `exit code ${r.code}`;
      throw new Error(`esphome bundle failed: ${last.trim()}`);
    }
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
