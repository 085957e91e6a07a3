// A small reader and writer for the gzip'd tar archives ESPHome uses as config bundles. Only
// regular files are supported (folders are implied by paths; links and devices are refused).
// The writer emits plain ustar members like ESPHome's bundler does: sorted, mtime 0, uid/gid 0,
// mode 0644. The reader also understands pax (`x`) and GNU long-name (`L`) headers, which
// Python's tarfile writes for long or non-ASCII names.
import { gunzipSync, gzipSync } from "node:zlib";

export interface TarMember {
  path: string;
  data: Buffer;
}

const BLOCK = 512;
/** Refuse archives that unpack to more than this (ESPHome's own limit is 500 MB). */
export const MAX_UNPACKED_BYTES = 500 * 1024 * 1024;

export class BundleFormatError extends Error {
  constructor(message: string) {
    super(`invalid bundle: ${message}`);
    this.name = "BundleFormatError";
  }
}

function octal(buf: Buffer, off: number, len: number): number {
  const text = buf
    .toString("latin1", off, off + len)
    .replace(/\0.*$/s, "")
    .trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new BundleFormatError(`bad number field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function cString(buf: Buffer, off: number, len: number): string {
  const raw = buf.subarray(off, off + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

function paxPath(data: Buffer): string | null {
  let off = 0;
  let found: string | null = null;
  while (off < data.length) {
    const space = data.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number(data.toString("latin1", off, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.toString("utf8", space + 1, off + len - 1);
    const eq = record.indexOf("=");
    if (record.slice(0, eq) === "path") found = record.slice(eq + 1);
    off += len;
  }
  return found;
}

/** Reads the regular files of a .tar (not gzip'd), in archive order. */
export function readTar(tar: Buffer): TarMember[] {
  const out: TarMember[] = [];
  let off = 0;
  let longName: string | null = null;
  let total = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] ?? 0);
    const prefix = h.toString("latin1", 257, 263).startsWith("ustar") ? cString(h, 345, 155) : "";
    const name = longName ?? (prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100));
    const start = off + BLOCK;
    if (start + size > tar.length) throw new BundleFormatError(`member ${JSON.stringify(name)} is truncated`);
    const data = tar.subarray(start, start + size);
    off = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      longName = paxPath(data);
      continue;
    }
    if (type === "L") {
      longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    longName = null;
    if (type === "g" || type === "5") continue; // global pax header, folder
    if (type !== "0" && type !== "\0" && type !== "7") {
      throw new BundleFormatError(
        `member ${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)})`,
      );
    }
    total += size;
    if (total > MAX_UNPACKED_BYTES) throw new BundleFormatError("unpacks to more than 500 MB");
    out.push({ path: name.replace(/^\.\//, ""), data: Buffer.from(data) });
  }
  return out;
}

/** Reads the regular files of a .tar.gz. */
export function readTarGz(gz: Buffer): TarMember[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: MAX_UNPACKED_BYTES + 1024 * 1024 });
  } catch (err) {
    throw new BundleFormatError(`not a gzip'd tar archive (${(err as Error).message})`);
  }
  return readTar(tar);
}

function header(name: string, size: number, type = "0"): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const write = (text: string, off: number, len: number) => h.write(text, off, len, "utf8");
  const num = (n: number, off: number, len: number) => write(n.toString(8).padStart(len - 1, "0") + "\0", off, len);
  write(name, 0, 100);
  num(0o644, 100, 8);
  num(0, 108, 8); // uid
  num(0, 116, 8); // gid
  num(size, 124, 12);
  num(0, 136, 12); // mtime
  h.fill(0x20, 148, 156); // checksum placeholder: spaces
  write(type, 156, 1);
  write("ustar\0", 257, 6);
  write("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

function pad(n: number): Buffer {
  const rest = n % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** Writes members in the given order; a name longer than 100 bytes gets a pax header. */
export function writeTar(members: TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if (Buffer.byteLength(m.path) > 99) {
      const rec = (len: number) => `${len} path=${m.path}\n`;
      let len = Buffer.byteLength(rec(0));
      while (Buffer.byteLength(rec(len)) !== len) len = Buffer.byteLength(rec(len));
      const pax = Buffer.from(rec(len));
      parts.push(header("PaxHeader", pax.length, "x"), pax, pad(pax.length));
    }
    parts.push(header(m.path.slice(0, 99), m.data.length), m.data, pad(m.data.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

export function writeTarGz(members: TarMember[]): Buffer {
  return gzipSync(writeTar(members));
}
