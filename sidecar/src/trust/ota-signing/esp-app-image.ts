// Reads an ESP32 application image the way ESP-IDF does before ESPHome checks its signature: the
// 24-byte header (magic 0xE9, segment count, flash settings, chip id, and the "hash appended" flag in
// its last byte), then each segment (8-byte header: load address, length; then the data), then a
// checksum byte placed so that the image up to and including it is a multiple of 16 bytes (XOR of all
// segment data, seeded with 0xEF), then — when the flag is set — the SHA-256 of everything before it.
// The image length is where that ends; the signature sector starts at the next 4 KiB boundary.
//
// The first segment of an app starts with the app description (esp_app_desc_t, magic 0xABCD5432):
// project version (what downgrade protection compares; ESPHome puts `esphome: project: version:` there
// when protection is on), project name, build time and date, ESP-IDF version.
import { createHash } from "node:crypto";

export const ESP_IMAGE_MAGIC = 0xe9;
export const ESP_CHECKSUM_SEED = 0xef;
export const APP_DESC_MAGIC = 0xabcd5432;
export const IMAGE_HEADER_LEN = 24;
export const SEGMENT_HEADER_LEN = 8;
const MAX_SEGMENTS = 16; // ESP_IMAGE_MAX_SEGMENTS

export interface AppDescription {
  version: string;
  projectName: string;
  time: string;
  date: string;
  idfVersion: string;
  secureVersion: number;
}

export interface EspAppImage {
  /** Header + segments + checksum (+ the appended SHA-256): the length IDF's image metadata reports. */
  imageLength: number;
  segmentCount: number;
  chipId: number;
  hashAppended: boolean;
  /** The stored checksum byte matches the segments. */
  checksumOk: boolean;
  /** The appended SHA-256 matches (null when none is appended, or when the caller checks it: `checkHash: false`). */
  hashOk: boolean | null;
  /** Where the appended SHA-256 starts: it covers the bytes before (the image length when none is appended). */
  hashedLength: number;
  app: AppDescription | null;
}

export class EspImageError extends Error {}

/** XOR of bytes [start, end) of `b`, folded into `seed`; 32 bits at a time (a 2 MB image is hashed and XORed per flash). */
function xorBytes(b: Buffer, start: number, end: number, seed: number): number {
  let acc = seed;
  let i = start;
  while (i < end && (b.byteOffset + i) % 4 !== 0) acc ^= b[i++]!;
  const words = Math.floor((end - i) / 4);
  if (words > 0) {
    const view = new Uint32Array(b.buffer, b.byteOffset + i, words);
    let w = 0;
    for (let k = 0; k < words; k++) w ^= view[k]!;
    acc ^= (w ^ (w >>> 8) ^ (w >>> 16) ^ (w >>> 24)) & 0xff; // XOR of a word's four bytes
    i += words * 4;
  }
  while (i < end) acc ^= b[i++]!;
  return acc;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("latin1");
}

function appDescription(bytes: Buffer, at: number, length: number): AppDescription | null {
  if (length < 256 || bytes.readUInt32LE(at) !== APP_DESC_MAGIC) return null;
  return {
    secureVersion: bytes.readUInt32LE(at + 4),
    version: cString(bytes.subarray(at + 16, at + 48)),
    projectName: cString(bytes.subarray(at + 48, at + 80)),
    time: cString(bytes.subarray(at + 80, at + 96)),
    date: cString(bytes.subarray(at + 96, at + 112)),
    idfVersion: cString(bytes.subarray(at + 112, at + 144)),
  };
}

/**
 * Parses the image at the start of `bytes` (anything after it is ignored); throws EspImageError when it is none.
 * `checkHash: false` leaves the appended SHA-256 to a caller that hashes the bytes anyway (see appendedHashOk).
 */
export function parseEspAppImage(bytes: Buffer, opts: { checkHash?: boolean } = {}): EspAppImage {
  if (bytes.length < IMAGE_HEADER_LEN) throw new EspImageError("too short for an ESP image header");
  if (bytes[0] !== ESP_IMAGE_MAGIC)
    throw new EspImageError(`not an ESP app image (magic 0x${(bytes[0] ?? 0).toString(16)}, expected 0xe9)`);
  const segmentCount = bytes[1]!;
  if (segmentCount === 0 || segmentCount > MAX_SEGMENTS)
    throw new EspImageError(`invalid segment count ${segmentCount} (1..${MAX_SEGMENTS})`);
  const hashAppended = bytes[23] === 1;
  let offset = IMAGE_HEADER_LEN;
  let checksum = ESP_CHECKSUM_SEED;
  let app: AppDescription | null = null;
  for (let i = 0; i < segmentCount; i++) {
    if (offset + SEGMENT_HEADER_LEN > bytes.length) throw new EspImageError(`segment ${i} header runs past the end`);
    const length = bytes.readUInt32LE(offset + 4);
    const data = offset + SEGMENT_HEADER_LEN;
    if (data + length > bytes.length) throw new EspImageError(`segment ${i} (${length} bytes) runs past the end`);
    if (i === 0) app = appDescription(bytes, data, length);
    checksum = xorBytes(bytes, data, data + length, checksum);
    offset = data + length;
  }
  const checksumAt = offset + 15 - (offset % 16);
  if (checksumAt >= bytes.length) throw new EspImageError("the checksum byte is missing");
  const hashedLength = checksumAt + 1;
  let imageLength = hashedLength;
  let hashOk: boolean | null = null;
  if (hashAppended) {
    if (imageLength + 32 > bytes.length) throw new EspImageError("the appended SHA-256 is missing");
    if (opts.checkHash !== false)
      hashOk = appendedHashOk(
        bytes,
        hashedLength,
        createHash("sha256").update(bytes.subarray(0, hashedLength)).digest(),
      );
    imageLength += 32;
  }
  return {
    imageLength,
    segmentCount,
    chipId: bytes.readUInt16LE(12),
    hashAppended,
    checksumOk: bytes[checksumAt] === checksum,
    hashOk,
    hashedLength,
    app,
  };
}

/** Whether the SHA-256 appended at `hashedLength` equals `prefixDigest` (the digest of the bytes before it). */
export function appendedHashOk(bytes: Buffer, hashedLength: number, prefixDigest: Buffer): boolean {
  return prefixDigest.equals(bytes.subarray(hashedLength, hashedLength + 32));
}
