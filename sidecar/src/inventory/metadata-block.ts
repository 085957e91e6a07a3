// The metadata block: Forge's per-device settings, kept in the device's own YAML as a comment so
// ESPHome ignores it and it travels with the file (git, backups, copy to another machine).
//
//   # esphome-forge:
//   #   pin: 2026.6.5              ESPHome version to build this device with (absent = fleet default)
//   #   tags: [kitchen, esp32]     lowercase tags for selecting devices in bulk
//   #   mac: "AA:BB:CC:DD:EE:FF"   learned MAC address (optional)
//   #   address: "192.168.1.50"    learned OTA address, used when the config names none (optional)
//   #   trust_policy: enforce      content-trust policy: can raise the fleet's, never lower it (admin API)
//
// The header is a comment line `# esphome-forge:`; the block is the header plus the comment lines right
// after it that are indented by at least two spaces more than the header. The body is YAML. Reading
// never throws: a garbled block yields an error for that device and whatever fields were valid.
// Writing replaces exactly the block's lines (or inserts a block at the top) and leaves every other
// byte of the file as it was. METADATA.md is the user-facing description.
import { parse } from "yaml";
import { EsphomeVersion, Tag, TrustPolicy } from "@esphome-forge/shared";
import { z } from "zod";
import { InventoryError } from "./errors.js";

export interface Metadata {
  pin: string | null;
  tags: string[];
  mac: string | null;
  address: string | null;
  /** Absent = the fleet's policy. */
  trustPolicy?: TrustPolicy;
}

export interface MetadataPatch {
  pinnedVersion?: string | null;
  tags?: string[];
  mac?: string | null;
  address?: string | null;
  trustPolicy?: TrustPolicy | null;
}

export const EMPTY_METADATA: Metadata = { pin: null, tags: [], mac: null, address: null };

const HEADER = /^#([ \t]*)esphome-forge:(.*)$/;
const MAC = /^[0-9A-Fa-f]{2}(?:[:-]?[0-9A-Fa-f]{2}){5}$/;
const ADDRESS = /^[A-Za-z0-9.:%_[\]-]{1,253}$/;
const KEYS = ["pin", "tags", "mac", "address", "trust_policy"];

interface Line {
  start: number;
  /** Without its line ending. */
  text: string;
  /** Offset just after the line ending. */
  end: number;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl + 1;
    out.push({ start, text: text.slice(start, nl < 0 ? end : nl).replace(/\r$/, ""), end });
    start = end;
  }
  return out;
}

interface Block {
  start: number;
  end: number;
  yaml: string;
}

function findBlock(text: string): Block | null {
  const ls = lines(text);
  const i = ls.findIndex((l) => HEADER.test(l.text));
  const header = ls[i];
  if (!header) return null;
  const indent = HEADER.exec(header.text)?.[1]?.length ?? 0;
  const yamlLines = [header.text.slice(1 + indent)];
  let end = header.end;
  for (const l of ls.slice(i + 1)) {
    const m = /^#([ \t]*)\S/.exec(l.text);
    if (!m || (m[1]?.length ?? 0) < indent + 2) break;
    yamlLines.push(l.text.slice(1 + indent));
    end = l.end;
  }
  return { start: header.start, end, yaml: yamlLines.join("\n") };
}

/** Reads the block; never throws. `error` names what was wrong, the valid fields are kept. */
export function readMetadata(text: string): { meta: Metadata; error: string | null; present: boolean } {
  const block = findBlock(text);
  if (!block) return { meta: { ...EMPTY_METADATA }, error: null, present: false };
  let body: unknown;
  try {
    body = (parse(block.yaml) as Record<string, unknown> | null)?.["esphome-forge"] ?? null;
  } catch (e) {
    return { meta: { ...EMPTY_METADATA }, error: `metadata block: ${firstLine((e as Error).message)}`, present: true };
  }
  if (body == null) return { meta: { ...EMPTY_METADATA }, error: null, present: true };
  if (typeof body !== "object" || Array.isArray(body)) {
    return {
      meta: { ...EMPTY_METADATA },
      error: "metadata block: expected keys pin, tags, mac, address",
      present: true,
    };
  }
  const raw = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(raw))
    if (!KEYS.includes(k)) problems.push(`unknown key '${k}' (expected ${KEYS.join(", ")})`);
  const meta: Metadata = { ...EMPTY_METADATA };
  const check = (key: string, fn: () => void) => {
    if (raw[key] == null) return;
    try {
      fn();
    } catch (e) {
      problems.push(`${key}: ${(e as Error).message}`);
    }
  };
  check("pin", () => (meta.pin = validPin(String(raw.pin))));
  check("tags", () => (meta.tags = validTags((Array.isArray(raw.tags) ? raw.tags : [raw.tags]).map(String))));
  check("mac", () => (meta.mac = validMac(String(raw.mac))));
  check("address", () => (meta.address = validAddress(String(raw.address))));
  check("trust_policy", () => (meta.trustPolicy = validPolicy(String(raw.trust_policy))));
  return { meta, error: problems.length ? `metadata block: ${problems.join("; ")}` : null, present: true };
}

/** Applies a patch after validating it; throws InventoryError("validation") with a clear message. */
export function applyPatch(meta: Metadata, patch: MetadataPatch): Metadata {
  const next = { ...meta };
  const run = (key: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      throw new InventoryError("validation", `invalid ${key}: ${(e as Error).message}`);
    }
  };
  if (patch.pinnedVersion !== undefined)
    run("pinnedVersion", () => (next.pin = patch.pinnedVersion == null ? null : validPin(patch.pinnedVersion)));
  if (patch.tags !== undefined) run("tags", () => (next.tags = validTags(patch.tags ?? [])));
  if (patch.mac !== undefined) run("mac", () => (next.mac = patch.mac == null ? null : validMac(patch.mac)));
  if (patch.address !== undefined)
    run("address", () => (next.address = patch.address == null ? null : validAddress(patch.address)));
  if (patch.trustPolicy !== undefined) {
    run("trustPolicy", () => {
      if (patch.trustPolicy == null) delete next.trustPolicy;
      else next.trustPolicy = validPolicy(patch.trustPolicy);
    });
  }
  return next;
}

/** The file with the block replaced (or inserted at the top, or removed when `meta` is empty). */
export function writeMetadata(text: string, meta: Metadata): string {
  const block = findBlock(text);
  const eol = block ? eolAt(text, block.start) : text.includes("\r\n") ? "\r\n" : "\n";
  const rendered = renderBlock(meta, eol);
  if (block) {
    if (!rendered) return removeBlock(text, block);
    // Keep the block's original final line ending (or its absence at end of file).
    const last = text.slice(block.start, block.end).endsWith("\n") ? eol : "";
    return text.slice(0, block.start) + rendered + last + text.slice(block.end);
  }
  if (!rendered) return text;
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const rest = text.slice(bom.length);
  // A blank line separates the block from the file's own first line (and is removed with it).
  const sep = rest === "" || rest.startsWith("\n") || rest.startsWith("\r\n") ? "" : eol;
  return bom + rendered + eol + sep + rest;
}

/** The file without its metadata block: what the config hash is computed over. */
export function stripMetadata(text: string): string {
  const block = findBlock(text);
  return block ? removeBlock(text, block) : text;
}

function removeBlock(text: string, block: Block): string {
  let end = block.end;
  const atTop = text.slice(0, block.start).replace(/^\uFEFF/, "") === "";
  if (atTop && text.startsWith("\r\n", end)) end += 2;
  else if (atTop && text.startsWith("\n", end)) end += 1;
  return text.slice(0, block.start) + text.slice(end);
}

function renderBlock(meta: Metadata, eol: string): string {
  const body: string[] = [];
  if (meta.pin) body.push(`#   pin: ${meta.pin}`);
  if (meta.tags.length) body.push(`#   tags: [${meta.tags.map(plainOrQuoted).join(", ")}]`);
  if (meta.mac) body.push(`#   mac: ${JSON.stringify(meta.mac)}`);
  if (meta.address) body.push(`#   address: ${JSON.stringify(meta.address)}`);
  if (meta.trustPolicy) body.push(`#   trust_policy: ${meta.trustPolicy}`);
  return body.length ? ["# esphome-forge:", ...body].join(eol) : "";
}

/** Tags are written plain when YAML would read them back as the same string, else quoted. */
function plainOrQuoted(tag: string): string {
  return /^[a-z][a-z0-9_-]*$/.test(tag) && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].includes(tag)
    ? tag
    : JSON.stringify(tag);
}

function eolAt(text: string, offset: number): string {
  const nl = text.indexOf("\n", offset);
  return nl > 0 && text[nl - 1] === "\r" ? "\r\n" : "\n";
}

function zodMessage(r: z.ZodSafeParseResult<unknown>): string {
  return r.error?.issues.map((i) => i.message).join("; ") ?? "invalid";
}

function validPolicy(v: string): TrustPolicy {
  const r = TrustPolicy.safeParse(v);
  if (!r.success) throw new Error(`${JSON.stringify(v)}: expected enforce, warn or off`);
  return r.data;
}

function validPin(v: string): string {
  const r = EsphomeVersion.safeParse(v);
  if (!r.success) throw new Error(`${JSON.stringify(v)}: ${zodMessage(r)}`);
  return r.data;
}

function validTags(tags: string[]): string[] {
  const r = z.array(Tag).max(64, "at most 64 tags").safeParse(tags);
  if (!r.success) {
    const bad = r.error.issues[0]?.path[0];
    const which = typeof bad === "number" ? `${JSON.stringify(tags[bad])}: ` : "";
    throw new Error(`${which}${zodMessage(r)}`);
  }
  return [...new Set(r.data)];
}

function validMac(v: string): string {
  if (!MAC.test(v)) throw new Error(`${JSON.stringify(v)} is not a MAC address like AA:BB:CC:DD:EE:FF`);
  const hex = v.replace(/[:-]/g, "").toUpperCase();
  return hex.match(/../g)!.join(":");
}

function validAddress(v: string): string {
  if (!ADDRESS.test(v)) throw new Error(`${JSON.stringify(v)} is not a host name or IP address`);
  return v;
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}
