import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/database.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import { ManualClock } from "../util/clock.js";
import { DigestMismatchError, FirmwareStore } from "./firmware-store.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function store() {
  const dir = tempDir();
  const db = openDatabase(join(dir, "forge.db"));
  const clock = new ManualClock();
  const fw = new FirmwareStore(db, join(dir, "firmware"), clock);
  return { dir, db, clock, fw, fwDir: join(dir, "firmware") };
}

describe("firmware store", () => {
  it("stores verified bytes content-addressed, private to the sidecar (0600 in 0700 folders)", () => {
    const { db, fw, fwDir } = store();
    const bytes = Buffer.from("firmware image bytes");
    const digest = sha(bytes);
    expect(fw.has(digest)).toBe(false);
    expect(fw.put(bytes, digest, bytes.length)).toEqual({ sha256: digest, size: bytes.length });
    expect(fw.path(digest)).toBe(join(fwDir, digest.slice(0, 2), digest));
    expect(fw.has(digest)).toBe(true);
    expect(fw.read(digest).equals(bytes)).toBe(true);
    expect(statSync(fw.path(digest)).mode & 0o777).toBe(0o600);
    expect(statSync(join(fwDir, digest.slice(0, 2))).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(fwDir, digest.slice(0, 2)))).toEqual([digest]); // no temp files left
    expect(db.prepare("SELECT sha256, size FROM firmware").all()).toEqual([{ sha256: digest, size: bytes.length }]);
    db.close();
  });

  it("is idempotent, refreshing the last-used time", () => {
    const { db, fw, clock } = store();
    const bytes = Buffer.alloc(4096, 7);
    const digest = sha(bytes);
    fw.put(bytes, digest, bytes.length);
    clock.advance(1000);
    fw.put(bytes, digest, bytes.length);
    expect(db.prepare("SELECT created_at, last_used_at FROM firmware").all()).toEqual([
      { created_at: clock.now() - 1000, last_used_at: clock.now() },
    ]);
    expect(fw.read(digest).equals(bytes)).toBe(true);
    db.close();
  });

  it("rewrites a damaged copy", () => {
    const { db, fw } = store();
    const bytes = Buffer.from("good bytes");
    const digest = sha(bytes);
    fw.put(bytes, digest, bytes.length);
    writeFileSync(fw.path(digest), "evil bytes");
    fw.put(bytes, digest, bytes.length);
    expect(fw.read(digest).toString()).toBe("good bytes");
    db.close();
  });

  it("refuses bytes whose digest or size differ from the announcement, naming both", () => {
    const { db, fw } = store();
    const bytes = Buffer.from("what arrived");
    const wrong = "0".repeat(64);
    expect(() => fw.put(bytes, wrong, bytes.length)).toThrow(DigestMismatchError);
    expect(() => fw.put(bytes, wrong, bytes.length)).toThrow(
      new RegExp(`expected sha256 ${wrong}.*received sha256 ${sha(bytes)}`),
    );
    expect(() => fw.put(bytes, sha(bytes), bytes.length + 1)).toThrow(/13 bytes.*12 bytes/);
    expect(() => fw.put(bytes, wrong, bytes.length)).toThrow(expect.objectContaining({ code: "digest_mismatch" }));
    expect(fw.has(wrong)).toBe(false);
    expect(fw.has(sha(bytes))).toBe(false);
    expect(db.prepare("SELECT COUNT(*) AS n FROM firmware").get()).toEqual({ n: 0 });
    db.close();
  });

  it("accepts only lowercase hex digests as names", () => {
    const { db, fw } = store();
    expect(() => fw.path("../../etc/passwd")).toThrow(expect.objectContaining({ code: "validation" }));
    expect(() => fw.path("A".repeat(64))).toThrow(/sha256/);
    expect(fw.has("../x")).toBe(false);
    expect(() => fw.read("f".repeat(64))).toThrow(expect.objectContaining({ code: "not_found" }));
    db.close();
  });

  it("does not count a link planted under a digest's name as an image, and never reads through one", () => {
    const { dir, db, fw, fwDir } = store();
    const outside = join(dir, "elsewhere.bin");
    writeFileSync(outside, "not an archived image");
    const digest = sha(Buffer.from("not an archived image"));
    mkdirSync(join(fwDir, digest.slice(0, 2)), { recursive: true });
    symlinkSync(outside, join(fwDir, digest.slice(0, 2), digest));
    expect(fw.has(digest)).toBe(false);
    // A shard folder that is a link leading out of the archive: reads are refused on the real path.
    const other = sha(Buffer.from("another"));
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out", other), "another");
    symlinkSync(join(dir, "out"), join(fwDir, other.slice(0, 2)));
    expect(() => fw.path(other)).toThrow(/symlink/);
    db.close();
  });
});
