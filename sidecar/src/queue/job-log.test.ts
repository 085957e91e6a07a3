import { describe, expect, it } from "vitest";
import type { LogChunk } from "./job-queue.js";
import { queueFixture, req } from "../../test-support/queue-fixture.js";

const CAP = 16_384;
const bytes = (s: string) => Buffer.byteLength(s);

function runningJob(cap = CAP) {
  const f = queueFixture({ logCapBytes: cap });
  const { job } = f.queue.enqueue(req("kitchen"));
  const { holder } = f.queue.assign(job.id, "w1", "test")!;
  const events: LogChunk[] = [];
  f.queue.on("log", (e) => events.push(e));
  return { f, id: job.id, holder, events };
}

/** 40 distinct 1000-byte lines. */
const lines = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(4, "0")} ${"x".repeat(994)}\n`);

describe("job log", () => {
  it("reads back what was appended, from any offset, with absolute offsets", () => {
    const { f, id, holder, events } = runningJob();
    for (const l of ["one\n", "two\n", "three\n"]) expect(f.queue.appendLog(id, holder, l)).toBe(true);
    expect(f.queue.readLog(id)).toEqual({
      text: "one\ntwo\nthree\n",
      startOffset: 0,
      endOffset: 14,
      truncatedBefore: false,
    });
    expect(f.queue.readLog(id, 6)).toEqual({
      text: "o\nthree\n",
      startOffset: 6,
      endOffset: 14,
      truncatedBefore: false,
    });
    expect(f.queue.readLog(id, 99)).toEqual({ text: "", startOffset: 14, endOffset: 14, truncatedBefore: false });
    expect(events.map((e) => [e.offset, e.chunk])).toEqual([
      [0, "one\n"],
      [4, "two\n"],
      [8, "three\n"],
    ]);
    expect(f.queue.get(id)).toMatchObject({ logBytes: 14, logTruncated: false });
  });

  it("never splits a multi-byte character when reading from the middle of one", () => {
    const { f, id, holder } = runningJob();
    f.queue.appendLog(id, holder, "ä€😀z");
    const r = f.queue.readLog(id, 1); // inside "ä"
    expect(r).toMatchObject({ text: "€😀z", startOffset: 2 });
    expect(r.startOffset + bytes(r.text)).toBe(r.endOffset);
  });

  it("keeps the newest output under the cap and marks what was dropped", () => {
    const { f, id, holder, events } = runningJob();
    for (const l of lines) f.queue.appendLog(id, holder, l);
    const full = lines.join("");
    const job = f.queue.get(id)!;
    expect(job).toMatchObject({ logBytes: 40_000, logTruncated: true });

    const r = f.queue.readLog(id, 0);
    const marker = /^\[… (\d+) bytes of earlier output dropped \(log cap 16 KiB\) …\]\n/.exec(r.text);
    expect(marker).not.toBeNull();
    const dropped = Number(marker![1]);
    const kept = r.text.slice(marker![0].length);
    expect(kept).toBe(full.slice(dropped));
    expect(bytes(kept)).toBeLessThanOrEqual(CAP);
    expect(bytes(kept)).toBeGreaterThan(CAP / 2);
    expect(r.truncatedBefore).toBe(true);
    expect(r.endOffset).toBe(40_000);
    // Offsets stay absolute, and startOffset + length always lands on endOffset, marker included.
    expect(r.startOffset + bytes(r.text)).toBe(r.endOffset);
    expect(f.queue.readLog(id, dropped)).toEqual({
      text: kept,
      startOffset: dropped,
      endOffset: 40_000,
      truncatedBefore: false,
    });
    expect(f.queue.readLog(id, 39_000).text).toBe(lines[39]);
    // Live chunks were all announced, contiguous.
    let next = 0;
    for (const e of events) {
      expect(e.offset).toBe(next);
      next += bytes(e.chunk);
    }
    expect(next).toBe(40_000);
  });

  it("drops at least an eighth of the cap at a time, so trims are rare and the marker always fits", () => {
    const { f, id, holder } = runningJob();
    for (let i = 0; i < 16; i++) f.queue.appendLog(id, holder, "k".repeat(1023) + "\n");
    expect(f.queue.get(id)!.logTruncated).toBe(false); // exactly at the cap
    f.queue.appendLog(id, holder, "!");
    const r = f.queue.readLog(id);
    const dropped = Number(/^\[… (\d+) bytes/.exec(r.text)![1]);
    expect(dropped).toBeGreaterThanOrEqual(CAP / 8);
    expect(r.startOffset).toBeGreaterThanOrEqual(0);
    expect(r.startOffset + bytes(r.text)).toBe(CAP + 1);
  });

  it("serves at most the cap, marker included, when the kept output is exactly at the cap", () => {
    const { f, id, holder } = runningJob();
    f.queue.appendLog(id, holder, "first line\n");
    // A chunk exactly as large as the cap: the first line goes, the chunk stays whole (kept = cap).
    const atCap = Array.from({ length: 16 }, (_, i) => `${String(i).padStart(4, "0")}${"y".repeat(1019)}\n`).join("");
    expect(bytes(atCap)).toBe(CAP);
    f.queue.appendLog(id, holder, atCap);
    const r = f.queue.readLog(id);
    expect(bytes(r.text)).toBeLessThanOrEqual(CAP);
    const m = /^\[… (\d+) bytes of earlier output dropped \(log cap 16 KiB\) …\]\n/.exec(r.text)!;
    expect(m).not.toBeNull();
    // The marker's number is where the served output starts: exactly what was given up for it.
    const full = "first line\n" + atCap;
    expect(r.text.slice(m[0].length)).toBe(full.slice(Number(m[1])));
    expect(Number(m[1])).toBeGreaterThan(bytes("first line\n"));
    expect(r.startOffset + bytes(r.text)).toBe(r.endOffset);
  });

  it("serves at most a cap lowered after the output was stored", () => {
    const f = queueFixture({ logCapBytes: 32_768 });
    const { job } = f.queue.enqueue(req("kitchen"));
    const { holder } = f.queue.assign(job.id, "w1", "test")!;
    for (const l of lines.slice(0, 30)) f.queue.appendLog(job.id, holder, l);
    f.set({ logCapBytes: CAP });
    const r = f.queue.readLog(job.id, 0);
    expect(bytes(r.text)).toBeLessThanOrEqual(CAP);
    expect(r.truncatedBefore).toBe(true);
    expect(r.text.endsWith(lines[29]!)).toBe(true);
  });

  it("trims a single chunk larger than the cap to its tail", () => {
    const { f, id, holder, events } = runningJob();
    f.queue.appendLog(id, holder, "head\n");
    const huge = "é".repeat(20_000); // 40 000 bytes
    f.queue.appendLog(id, holder, huge);
    const last = events.at(-1)!;
    expect(last.truncatedBefore).toBe(true);
    expect(last.offset + bytes(last.chunk)).toBe(40_005);
    expect(last.chunk).toMatch(/^é+$/);
    expect(bytes(last.chunk)).toBeLessThanOrEqual(CAP);
    const r = f.queue.readLog(id);
    expect(r.text).toMatch(/^\[… \d+ bytes of earlier output dropped/);
    expect(r.text.endsWith(last.chunk)).toBe(true);
    expect(r.startOffset + bytes(r.text)).toBe(40_005);
  });

  it("takes the sidecar's own notes at any time but refuses output from anyone but the holder", () => {
    const { f, id, holder } = runningJob();
    expect(f.queue.appendLog(id, { ...holder, fence: "forged-fence-000000000" }, "forged\n")).toBe(false);
    f.queue.complete(id, holder, {
      outcome: "failed",
      phase: "compile",
      error: "x",
      firmware: [],
      esphomeVersion: null,
    });
    expect(f.queue.appendLog(id, holder, "late\n")).toBe(false);
    expect(f.queue.appendLog(id, null, "[forge] note\n")).toBe(true);
    expect(f.queue.appendLog(4242, null, "nobody\n")).toBe(false);
    expect(f.queue.readLog(id).text).toBe("[forge] note\n");
    expect(() => f.queue.readLog(4242)).toThrow(/no job/);
  });
});
