// Small byte/JSON helpers shared by every trust module: digests, canonical JSON, safe JSON parsing.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Streams a file through SHA-256 so a large firmware never needs to be held twice in memory. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Canonical JSON (sorted keys, no whitespace) as Rekor and the Sigstore clients use for signed entry
 * timestamps and log bodies. Only plain data is allowed: the values we sign are built by us.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonicalJson: non-finite number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON.parse that reports instead of throwing: bundle files come from outside and may be anything. */
export function parseJson(text: string | Uint8Array): ParseResult<unknown> {
  const s = typeof text === "string" ? text : Buffer.from(text).toString("utf8");
  try {
    return { ok: true, value: JSON.parse(s) as unknown };
  } catch (err) {
    return { ok: false, error: `not valid JSON (${(err as Error).message})` };
  }
}

/** Bundles arrive as text, bytes or already-parsed JSON; give back the parsed value either way. */
export function asJson(input: unknown): ParseResult<unknown> {
  return typeof input === "string" || input instanceof Uint8Array ? parseJson(input) : { ok: true, value: input };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A short, stable label for a key hint in human reasons ("key 3q2+7w…"). */
export function shortHint(hint: string): string {
  return hint.length > 10 ? `${hint.slice(0, 10)}…` : hint;
}
