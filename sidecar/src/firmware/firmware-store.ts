// Content-addressed firmware archive: <dir>/<first two hex digits>/<sha256>. A file only ever
// appears under its name complete and verified (written to a temp file, synced, renamed).
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { Sha256Hex } from "@esphome-forge/shared";
import { safeJoin } from "../config/paths.js";
import type { Db } from "../db/database.js";
import type { Clock } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import { DigestMismatchError, NotFoundError, ValidationError } from "../util/errors.js";

export { DigestMismatchError } from "../util/errors.js";

export class FirmwareStore {
  constructor(
    private readonly db: Db,
    private readonly dir: string,
    private readonly clock: Clock = systemClock,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.upsert = db.prepare(
      `INSERT INTO firmware (sha256, size, created_at, last_used_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(sha256) DO UPDATE SET last_used_at = excluded.last_used_at`,
    );
  }

  private readonly upsert: BetterSqlite3.Statement;
  private readonly inFlight = new Map<string, number>();

  /**
   * Verifies `bytes` against the announced digest and size, then stores them. Storing the same
   * image again is a no-op apart from refreshing its last-used time.
   */
  put(bytes: Buffer, expectedSha256: string, expectedSize: number): { sha256: string; size: number } {
    const sha256 = verified(bytes, expectedSha256, expectedSize);
    const file = this.path(sha256);
    if (!holds(file, sha256, bytes.length)) writeAtomically(file, bytes);
    return this.record(sha256, bytes.length);
  }

  /**
   * `put` without blocking the event loop on the disk: the write and fsync run on the thread pool.
   * A digest or size mismatch rejects with DigestMismatchError.
   */
  async putAsync(
    bytes: Buffer,
    expectedSha256: string,
    expectedSize: number,
  ): Promise<{ sha256: string; size: number }> {
    const sha256 = verified(bytes, expectedSha256, expectedSize);
    const file = this.path(sha256);
    this.inFlight.set(sha256, (this.inFlight.get(sha256) ?? 0) + 1);
    try {
      if (!holds(file, sha256, bytes.length)) await writeAtomicallyAsync(file, bytes);
      return this.record(sha256, bytes.length);
    } finally {
      const n = (this.inFlight.get(sha256) ?? 1) - 1;
      if (n > 0) this.inFlight.set(sha256, n);
      else this.inFlight.delete(sha256);
    }
  }

  private record(sha256: string, size: number): { sha256: string; size: number } {
    const now = this.clock.now();
    this.upsert.run(sha256, size, now, now);
    return { sha256, size };
  }

  /**
   * True when the archive holds a file for this digest (false for anything that is not a digest). Every
   * device view asks (hundreds of times a second in a fleet build), so this is one lstat: a digest is 64 hex
   * characters and cannot leave the folder, and a link is not a file here. Reading and writing an image go
   * through `path`, which also refuses a folder that leads elsewhere through a link.
   */
  has(sha256: string): boolean {
    if (!Sha256Hex.safeParse(sha256).success) return false;
    return lstatSync(join(this.dir, sha256.slice(0, 2), sha256), { throwIfNoEntry: false })?.isFile() ?? false;
  }

  /** Absolute path of the image with this digest; throws ValidationError for a malformed digest. */
  path(sha256: string): string {
    const d = checkDigest(sha256);
    return safeJoin(this.dir, d.slice(0, 2), d);
  }

  /**
   * At start: removes temp files a write left behind when the process died or the disk filled
   * (`<digest>.<pid>.<random>.tmp`). Nobody else writes the archive, so any found now is garbage.
   */
  removeLeftoverTemps(): number {
    let removed = 0;
    for (const sub of readdirSync(this.dir, { withFileTypes: true })) {
      if (!sub.isDirectory() || !/^[0-9a-f]{2}$/.test(sub.name)) continue;
      for (const name of readdirSync(join(this.dir, sub.name))) {
        if (!TEMP_FILE.test(name)) continue;
        rmSync(join(this.dir, sub.name, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Every image on record: digest, size and when it was last stored (for retention). */
  entries(): { sha256: string; size: number; lastUsedAt: number }[] {
    return this.db.prepare("SELECT sha256, size, last_used_at AS lastUsedAt FROM firmware").all() as {
      sha256: string;
      size: number;
      lastUsedAt: number;
    }[];
  }

  /** Deletes an image (file and record); retention decides which (retention.ts, the only caller). */
  remove(sha256: string): void {
    rmSync(this.path(sha256), { force: true });
    this.db.prepare("DELETE FROM firmware WHERE sha256 = ?").run(sha256);
  }

  read(sha256: string): Buffer {
    if (!this.has(sha256)) throw new NotFoundError(`no firmware with digest ${sha256} in the archive`);
    return readFileSync(this.path(sha256));
  }

  /** Digests whose bytes are being written right now (retention never removes them meanwhile). */
  writingNow(): string[] {
    return [...this.inFlight.keys()];
  }
}

/** The digest of `bytes` when it and their length are what was announced; else DigestMismatchError. */
function verified(bytes: Buffer, expectedSha256: string, expectedSize: number): string {
  const expected = checkDigest(expectedSha256);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== expected || bytes.length !== expectedSize) {
    throw new DigestMismatchError(
      `firmware does not match what was announced: expected sha256 ${expected} (${expectedSize} bytes), ` +
        `received sha256 ${actual} (${bytes.length} bytes)`,
    );
  }
  return actual;
}

function checkDigest(sha256: string): string {
  if (!Sha256Hex.safeParse(sha256).success) {
    throw new ValidationError(`not a sha256 digest (64 lowercase hex characters): ${String(sha256).slice(0, 80)}`);
  }
  return sha256;
}

/** True when `file` already holds exactly these bytes (a damaged copy is rewritten). */
function holds(file: string, sha256: string, size: number): boolean {
  if (statSync(file, { throwIfNoEntry: false })?.size !== size) return false;
  return createHash("sha256").update(readFileSync(file)).digest("hex") === sha256;
}

/** The temp files of writeAtomically / writeAtomicallyAsync (tempName). */
const TEMP_FILE = /^[0-9a-f]{64}\.\d+\.[0-9a-f]{8}\.tmp$/;

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
}

function writeAtomically(file: string, bytes: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = tempName(file);
  const fd = openSync(tmp, "w", 0o600);
  try {
    fchmodSync(fd, 0o600); // images embed Wi-Fi passwords and API keys: the sidecar's alone, whatever the umask
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

async function writeAtomicallyAsync(file: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = tempName(file);
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
}
