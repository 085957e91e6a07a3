// Synthetic ESP32 application images for the signed-OTA tests and benchmark (no toolchain can build
// real firmware here). Laid out as esptool's elf2image writes an app: image header with the "hash
// appended" flag, a flash-data segment that starts with the app description (project version and name,
// as ESPHome sets them for downgrade protection), a code segment, a RAM segment, optionally the
// `--secure-pad-v2` padding segment that makes the image end on a 64 KiB boundary (what an ESPHome
// build with signed OTA produces), the checksum byte and the SHA-256. The tests check these with
// esptool's own `image-info`.
import { createHash } from "node:crypto";

export interface FixtureImageOptions {
  /** Approximate size of the code segment in bytes (default 192 KiB). */
  codeSize?: number;
  projectVersion?: string;
  projectName?: string;
  /** Pad like `elf2image --secure-pad-v2` (default true). */
  securePad?: boolean;
  /** Varies the content (default 1). */
  seed?: number;
  /** Image header chip id: 0 ESP32, 2 ESP32-S2, 5 ESP32-C3, 9 ESP32-S3 (default 9). */
  chipId?: number;
}

const APP_DESC_MAGIC = 0xabcd5432;

/** Deterministic filler (xorshift32), fast enough for megabytes. */
function filler(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

function appDescription(version: string, projectName: string): Buffer {
  const d = Buffer.alloc(256);
  d.writeUInt32LE(APP_DESC_MAGIC, 0);
  d.write(version.slice(0, 31), 16, "latin1");
  d.write(projectName.slice(0, 31), 48, "latin1");
  d.write("12:00:00", 80, "latin1");
  d.write("Dec  1 2026", 96, "latin1");
  d.write("v5.5.1", 112, "latin1");
  return d;
}

function segment(loadAddress: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(loadAddress >>> 0, 0);
  h.writeUInt32LE(data.length, 4);
  return Buffer.concat([h, data]);
}

export function buildEspAppImage(o: FixtureImageOptions = {}): Buffer {
  const seed = o.seed ?? 1;
  const codeSize = Math.ceil((o.codeSize ?? 192 * 1024) / 4) * 4;
  const rodata = Buffer.concat([
    appDescription(o.projectVersion ?? "1.0.0", o.projectName ?? "forge.fixture"),
    filler(4096, seed + 1),
  ]);
  const segments = [
    segment(0x3f400020, rodata),
    segment(0x400d0020, filler(codeSize, seed)),
    segment(0x3ffb0000, filler(1024, seed + 2)),
  ];
  const header = Buffer.alloc(24);
  header[0] = 0xe9;
  header[2] = 0x02; // DIO
  header[3] = 0x20; // 4 MB, 40 MHz
  header.writeUInt32LE(0x40081000, 4); // entry point
  header[8] = 0xee; // WP pin: disabled
  header.writeUInt16LE(o.chipId ?? 9, 12);
  header.writeUInt16LE(0xffff, 17); // max chip revision: any
  header[23] = 1; // SHA-256 appended
  let body = Buffer.concat([header, ...segments]);
  if (o.securePad ?? true) {
    // As elf2image --secure-pad-v2: a zero segment so that checksum (16) + SHA-256 (32) end on 64 KiB.
    const alignPast = (body.length + 8) % 65536;
    const padLength = (65536 - alignPast - 16 - 32 + 65536) % 65536;
    segments.push(segment(0, Buffer.alloc(padLength)));
    body = Buffer.concat([header, ...segments]);
  }
  body[1] = segments.length;
  let checksum = 0xef;
  for (const s of segments) for (let i = 8; i < s.length; i++) checksum ^= s[i]!;
  const checksumAt = body.length + 15 - (body.length % 16);
  const image = Buffer.alloc(checksumAt + 1);
  body.copy(image);
  image[checksumAt] = checksum;
  return Buffer.concat([image, createHash("sha256").update(image).digest()]);
}
