// A job's output, stored as chunks keyed by absolute byte offset. The cap keeps the newest output:
// once the kept bytes pass the cap, the oldest chunks go until at most 7/8 of the cap remains, so
// trimming happens once per cap/8 bytes instead of on every append, and the dropped region is
// always far larger than the marker line that stands in for it.
import type { Db } from "../db/database.js";

export interface LogRead {
  text: string;
  /** Offset of text's first byte. Always `endOffset - byteLength(text)`, marker included. */
  startOffset: number;
  endOffset: number;
  truncatedBefore: boolean;
}

export interface AppendedChunk {
  offset: number;
  chunk: string;
  /** True when the head of this very chunk was dropped (it alone exceeded the cap). */
  truncatedBefore: boolean;
}

interface Extent {
  log_bytes: number;
  log_dropped_bytes: number;
}

export class JobLog {
  private readonly extent;
  private readonly setExtent;
  private readonly insert;
  private readonly oldest;
  private readonly remove;
  private readonly removeAll;
  private readonly from;

  constructor(db: Db) {
    this.extent = db.prepare("SELECT log_bytes, log_dropped_bytes FROM jobs WHERE id = ?");
    this.setExtent = db.prepare("UPDATE jobs SET log_bytes = ?, log_dropped_bytes = ? WHERE id = ?");
    this.insert = db.prepare("INSERT INTO job_log_chunks (job_id, offset, data) VALUES (?, ?, ?)");
    this.oldest = db.prepare("SELECT offset, length(data) AS len FROM job_log_chunks WHERE job_id = ? ORDER BY offset");
    this.remove = db.prepare("DELETE FROM job_log_chunks WHERE job_id = ? AND offset = ?");
    this.removeAll = db.prepare("DELETE FROM job_log_chunks WHERE job_id = ?");
    this.from = db.prepare(
      "SELECT offset, data FROM job_log_chunks WHERE job_id = ? AND offset + length(data) > ? ORDER BY offset",
    );
  }

  /** Appends inside the caller's transaction. Returns what was kept, or null for an empty chunk. */
  append(jobId: number, chunk: string, capBytes: number): AppendedChunk | null {
    const ext = this.extent.get(jobId) as Extent | undefined;
    if (!ext) return null;
    let data = Buffer.from(chunk, "utf8");
    if (data.length === 0) return null;
    const low = capBytes - Math.floor(capBytes / 8);
    const end = ext.log_bytes + data.length;
    let start = ext.log_bytes;
    let dropped = ext.log_dropped_bytes;
    let trimmed = false;
    if (data.length > capBytes) {
      // This chunk alone is over the cap: everything before it goes, and its own head too.
      const cut = charBoundary(data, data.length - low);
      data = data.subarray(cut);
      start += cut;
      dropped = start;
      trimmed = true;
      this.removeAll.run(jobId);
    }
    this.insert.run(jobId, start, data);
    if (end - dropped > capBytes) {
      const victims: number[] = [];
      for (const c of this.oldest.iterate(jobId) as Iterable<{ offset: number; len: number }>) {
        if (end - dropped <= low || c.offset === start) break;
        victims.push(c.offset);
        dropped = c.offset + c.len;
      }
      for (const offset of victims) this.remove.run(jobId, offset);
    }
    this.setExtent.run(end, dropped, jobId);
    return { offset: start, chunk: trimmed ? data.toString("utf8") : chunk, truncatedBefore: trimmed };
  }

  /**
   * The output from byte `offset` on. When bytes the caller asks for were dropped, the text starts
   * with a one-line marker that stands in for (the tail of) the dropped region.
   */
  read(jobId: number, offset: number, capBytes: number): LogRead {
    const ext = this.extent.get(jobId) as Extent | undefined;
    if (!ext) return { text: "", startOffset: 0, endOffset: 0, truncatedBefore: false };
    const end = ext.log_bytes;
    const dropped = ext.log_dropped_bytes;
    const wantsDropped = dropped > 0 && offset < dropped;
    const from = Math.min(Math.max(offset, dropped), end);
    const chunks = this.from.all(jobId, from) as { offset: number; data: Buffer }[];
    let body = Buffer.concat(chunks.map((c) => c.data));
    let bodyStart = chunks[0]?.offset ?? end;
    if (bodyStart < from) {
      const skip = wantsDropped ? from - bodyStart : charBoundary(body, from - bodyStart);
      body = body.subarray(skip);
      bodyStart += skip;
    }
    // The cap bounds what is served, marker included: a kept region right at the cap (a chunk as large
    // as the cap, or a cap lowered since) loses as many more leading bytes as the marker needs.
    if (!wantsDropped && body.length <= capBytes)
      return { text: body.toString("utf8"), startOffset: bodyStart, endOffset: end, truncatedBefore: false };
    let marker = droppedMarker(bodyStart, capBytes);
    while (marker.length + body.length > capBytes) {
      const skip = charBoundary(body, marker.length + body.length - capBytes);
      body = body.subarray(skip);
      bodyStart += skip;
      marker = droppedMarker(bodyStart, capBytes);
    }
    return {
      text: marker.toString("utf8") + body.toString("utf8"),
      startOffset: Math.max(0, bodyStart - marker.length),
      endOffset: end,
      truncatedBefore: true,
    };
  }

  clear(jobId: number): void {
    this.removeAll.run(jobId);
  }
}

/** The line that stands in for bytes [0, dropped) of the output. */
function droppedMarker(dropped: number, capBytes: number): Buffer {
  return Buffer.from(`[… ${dropped} bytes of earlier output dropped (log cap ${formatBytes(capBytes)}) …]\n`);
}

/** The first index ≥ i that starts a UTF-8 character (skips continuation bytes). */
function charBoundary(buf: Buffer, i: number): number {
  let j = Math.max(0, i);
  while (j < buf.length && (buf[j]! & 0xc0) === 0x80) j++;
  return j;
}

export function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
