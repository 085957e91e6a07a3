// Joins a job's log chunks by their byte offsets: repeats (a resubscription after a reconnect
// sends from the original offset again) are dropped, overlaps trimmed, gaps reported.
import type { LogEvent, LogUpdate } from "./types.js";

/** UTF-8 bytes of the character starting at `i`; 4 means a surrogate pair (two UTF-16 units). */
function utf8Bytes(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) return 4;
  return 3;
}

/** UTF-8 length of a string without allocating (a 1 MB log is measured on every chunk). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length;) {
    const b = utf8Bytes(s, i);
    n += b;
    i += b === 4 ? 2 : 1;
  }
  return n;
}

/** The rest of `s` after its first `bytes` UTF-8 bytes (never splitting a character). */
export function utf8SliceFrom(s: string, bytes: number): string {
  let n = 0;
  let i = 0;
  while (i < s.length && n < bytes) {
    const b = utf8Bytes(s, i);
    n += b;
    i += b === 4 ? 2 : 1;
  }
  return s.slice(i);
}

export class LogStitcher {
  /** Byte offset of the next byte this subscriber has not seen; resubscribe from here. */
  next: number;
  private started = false;
  ended = false;

  constructor(
    readonly jobId: number,
    offset: number,
  ) {
    this.next = offset;
  }

  accept(e: LogEvent): LogUpdate[] {
    if (e.jobId !== this.jobId) return [];
    if (e.type === "log_end") {
      if (this.ended) return [];
      this.ended = true;
      return [{ kind: "end", state: e.state }];
    }
    const out: LogUpdate[] = [];
    const len = utf8Length(e.chunk);
    const end = e.offset + len;
    const first = !this.started;
    this.started = true;
    if (end <= this.next && len > 0) return out;
    let text = e.chunk;
    if (e.offset > this.next) {
      out.push(e.truncatedBefore ? { kind: "truncated" } : { kind: "gap", bytes: e.offset - this.next });
    } else if (e.offset < this.next) {
      text = utf8SliceFrom(text, this.next - e.offset);
    } else if (first && e.truncatedBefore && e.offset > 0) {
      out.push({ kind: "truncated" });
    }
    if (text) out.push({ kind: "text", text });
    this.next = Math.max(this.next, end);
    return out;
  }
}
