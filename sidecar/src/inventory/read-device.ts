// Reads one device: the plain YAML load (always: it yields the job files, the hash and the fallback
// fields), the metadata block, and — when ESPHome is available and the plain load found no problem —
// the real `esphome config`, whose resolved output then supplies the fields.
import type { Diagnostic } from "./errors.js";
import { formatDiagnostic } from "./errors.js";
import type { EsphomeConfigResult } from "./esphome-cli.js";
import { resolvedYaml } from "./esphome-output.js";
import type { ConfigFields } from "./device-fields.js";
import { extractFields, resolveAddress } from "./device-fields.js";
import type { InventoryDevice } from "./inventory-device.js";
import type { CollectedFiles, JobFile } from "./job-files.js";
import { collectJobFiles } from "./job-files.js";
import { loadConfig } from "./loader.js";
import { readMetadata } from "./metadata-block.js";
import { applySubstitutions, mergePackages } from "./substitutions.js";
import { isPlainObject, parseYaml } from "./yaml-ast.js";

export interface ReadContext {
  rootReal: string;
  /** Top-level device files (other devices' YAMLs are never picked up as referenced files). */
  deviceFiles: ReadonlySet<string>;
  /** Runs (or answers from cache) `esphome config` over these files; absent when ESPHome is not available. */
  resolve?: (file: string, rawHash: string, files: JobFile[]) => Promise<EsphomeConfigResult>;
  log?: (msg: string) => void;
}

export interface DeviceRead {
  /** Everything but `updatedAt`, which the inventory sets when the record changes. */
  device: Omit<InventoryDevice, "updatedAt">;
  diagnostics: Diagnostic[];
  collected: CollectedFiles | null;
}

const MAX_ERROR_CHARS = 2000;

/** The plain read: includes expanded, packages merged, substitutions applied, job files collected. */
export async function loadPlain(ctx: ReadContext, file: string) {
  const loaded = await loadConfig(ctx.rootReal, file);
  const diagnostics: Diagnostic[] = [...loaded.errors];
  const main = loaded.files.get(file) ?? null;
  let plain: unknown = null;
  if (isPlainObject(loaded.config)) plain = applySubstitutions(mergePackages(loaded.config));
  else if (main && diagnostics.length === 0)
    diagnostics.push({ file, line: null, message: "the file holds no YAML mapping (empty?)" });
  const collected = main ? await collectJobFiles(ctx.rootReal, file, loaded, plain, ctx.deviceFiles) : null;
  if (collected) diagnostics.push(...collected.errors);
  return { main, plain, diagnostics, collected };
}

export async function readDevice(
  ctx: ReadContext,
  id: string,
  file: string,
  extraErrors: string[] = [],
): Promise<DeviceRead> {
  const { main, plain, diagnostics, collected } = await loadPlain(ctx, file);
  const meta = readMetadata(main?.toString("utf8") ?? "");
  let fields: ConfigFields = extractFields(plain);
  let resolvedBy: InventoryDevice["resolvedBy"] = main ? "yaml" : null;

  // ESPHome only sees configs the plain read accepted: an include outside the folder is never handed to it.
  if (ctx.resolve && collected && diagnostics.length === 0) {
    const res = await ctx.resolve(file, collected.rawHash, collected.files);
    if (res.ok) {
      const parsed = parseYaml(res.resolved ?? resolvedYaml(res.output));
      if (!parsed.error && isPlainObject(parsed.value)) {
        fields = extractFields(parsed.value);
        resolvedBy = "esphome";
      } else {
        ctx.log?.(
          `inventory: could not read esphome's resolved config for ${file}: ${parsed.error?.message ?? "not a mapping"}`,
        );
      }
    } else if (res.unavailable) {
      ctx.log?.(`inventory: ${res.errors[0]?.message ?? "esphome failed"} (${file}); using the plain YAML read`);
    } else {
      diagnostics.push(...res.errors);
    }
  } else if (main && diagnostics.length === 0 && !fields.name) {
    diagnostics.push({ file, line: null, message: "esphome: name is required" });
  }

  const mac = meta.meta.mac ?? fields.configMac;
  const { address, addressSource } = resolveAddress(fields, { address: meta.meta.address, mac });
  const errors = [...diagnostics.map(formatDiagnostic), ...(meta.error ? [meta.error] : []), ...extraErrors];
  let error = errors.length ? errors.join("; ") : null;
  if (error && error.length > MAX_ERROR_CHARS) error = `${error.slice(0, MAX_ERROR_CHARS - 1)}…`;
  return {
    device: {
      id,
      file,
      name: fields.name,
      friendlyName: fields.friendlyName,
      platform: fields.platform,
      board: fields.board,
      variant: fields.variant,
      project: fields.project,
      signedOta: fields.signedOta,
      ...(fields.deepSleep ? { deepSleep: true } : {}),
      pinnedVersion: meta.meta.pin,
      tags: meta.meta.tags,
      trustPolicy: meta.meta.trustPolicy ?? null,
      mac,
      address,
      addressSource,
      resolvedBy,
      configHash: collected?.configHash ?? null,
      error,
    },
    diagnostics,
    collected,
  };
}
