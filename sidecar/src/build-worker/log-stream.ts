// A job's build output on its way to the sidecar. Bytes from stdout/stderr are decoded as
// UTF-8 per stream (a multi-byte character split across reads is held back until complete),
// batched for ≤ 50 ms or 16 K characters, and sent as numbered chunks (`seq` 1, 2, 3, …) with
// ANSI colours intact. Every chunk is kept until the sidecar's `log_ack` covers it: after a
// reconnect (or a "send again later" from a sidecar whose disk is full) the unacknowledged chunks
// go again, in order, and the sidecar drops the ones it already stored. While the sidecar is
// unreachable the text waits, capped: the oldest output is dropped first, and `keptFrom` tells
// the sidecar which chunks are gone for good, so its log says exactly where output is missing.
import { StringDecoder } from "node:string_decoder";

export interface OutgoingChunk {
  seq: number;
  /** The oldest chunk still held; everything below it was acknowledged or dropped. */
  keptFrom: number;
  text: string;
}

export interface LogSink {
  /** Sends one chunk now; returns false when the sidecar is unreachable (the chunk is kept). */
  trySend(chunk: OutgoingChunk): boolean;
}

export interface JobLogOptions {
  batchMs?: number;
  batchChars?: number;
  /** Most characters kept per job while unacknowledged (sidecar unreachable or refusing). */
  offlineCapChars?: number;
}

/** Characters per log message when waiting output is sent in one go (the schema allows 1 Mi). */
const MAX_MESSAGE_CHARS = 256 * 1024;

export type LogSource = "stdout" | "stderr";

interface HeldChunk {
  seq: number;
  text: string;
}

export class JobLog {
  private readonly decoders: Record<LogSource, StringDecoder> = {
    stdout: new StringDecoder("utf8"),
    stderr: new StringDecoder("utf8"),
  };
  private readonly batchMs: number;
  private readonly batchChars: number;
  private readonly offlineCapChars: number;
  private batch = "";
  private timer: NodeJS.Timeout | null = null;
  /** Output not numbered yet (it waited while nothing could be sent), oldest first. */
  private waiting: string[] = [];
  private waitingChars = 0;
  /** Numbered chunks not yet acknowledged, oldest first; sent up to `sentUpTo` on this connection. */
  private held: HeldChunk[] = [];
  private heldChars = 0;
  private nextSeq = 1;
  private sentUpTo = 0;
  private pausedUntil = 0;
  private resumeTimer: NodeJS.Timeout | null = null;
  private droppedChars = 0;
  private disposed = false;

  constructor(
    private readonly sink: LogSink,
    opts: JobLogOptions = {},
  ) {
    this.batchMs = opts.batchMs ?? 50;
    this.batchChars = opts.batchChars ?? 16 * 1024;
    this.offlineCapChars = opts.offlineCapChars ?? 4 * 1024 * 1024;
  }

  /** Adds raw bytes from the build; returns the text decoded so far (for progress parsing). */
  write(source: LogSource, data: Buffer): string {
    const text = this.decoders[source].write(data);
    this.append(text);
    return text;
  }

  /** Adds a line of the worker's own (phase headers, errors). */
  note(text: string): void {
    this.append(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Emits whatever the decoders still hold (an incomplete character at the very end). */
  endStreams(): void {
    for (const source of ["stdout", "stderr"] as const) {
      this.append(this.decoders[source].end());
      this.decoders[source] = new StringDecoder("utf8");
    }
  }

  /** Sends everything not sent yet, in order; what cannot go now waits (capped) for the next try. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.disposed) return;
    if (this.batch) {
      this.waiting.push(this.batch);
      this.waitingChars += this.batch.length;
      this.batch = "";
    }
    if (Date.now() >= this.pausedUntil && this.sendHeld()) {
      while (this.waiting.length > 0) {
        const chunk = { seq: this.nextSeq++, text: this.takeWaiting() };
        this.held.push(chunk);
        this.heldChars += chunk.text.length;
        if (!this.send(chunk)) break;
      }
    }
    this.enforceCap();
  }

  /** The sidecar stored every chunk up to `seq`. */
  ack(seq: number): void {
    while (this.held.length > 0 && this.held[0]!.seq <= seq) this.heldChars -= this.held.shift()!.text.length;
    if (this.sentUpTo < seq) this.sentUpTo = seq;
  }

  /** The sidecar could not store the chunks after `seq` (its disk is full): send them all again after `ms`. */
  retryLater(seq: number, ms: number): void {
    this.ack(seq);
    this.sentUpTo = seq;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      this.flush();
    }, this.pausedUntil - Date.now());
  }

  /** After a reconnect: every unacknowledged chunk goes again, oldest first. */
  resendAll(): void {
    this.sentUpTo = (this.held[0]?.seq ?? this.nextSeq) - 1;
    this.flush();
  }

  /** Characters not yet handed to the socket (sent but unacknowledged ones do not count). */
  get pendingChars(): number {
    const unsent = this.held.filter((c) => c.seq > this.sentUpTo).reduce((n, c) => n + c.text.length, 0);
    return unsent + this.waitingChars + this.batch.length;
  }

  /** Characters the cap dropped (this worker's own count; the sidecar marks the gap in the log). */
  get dropped(): number {
    return this.droppedChars;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.timer = this.resumeTimer = null;
    this.batch = "";
    this.waiting = [];
    this.held = [];
    this.waitingChars = this.heldChars = 0;
  }

  private append(text: string): void {
    if (!text || this.disposed) return;
    this.batch += text;
    if (this.batch.length >= this.batchChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  /** Sends the held chunks after `sentUpTo`; false when the socket refused one. */
  private sendHeld(): boolean {
    for (const chunk of this.held) {
      if (chunk.seq <= this.sentUpTo) continue;
      if (!this.send(chunk)) return false;
    }
    return true;
  }

  private send(chunk: HeldChunk): boolean {
    const keptFrom = this.held[0]?.seq ?? chunk.seq;
    if (!this.sink.trySend({ seq: chunk.seq, keptFrom, text: chunk.text })) return false;
    this.sentUpTo = chunk.seq;
    return true;
  }

  /** Joins waiting pieces (each whole, so never splitting a character) up to one message's size. */
  private takeWaiting(): string {
    let text = this.waiting.shift()!;
    while (this.waiting.length > 0 && text.length + this.waiting[0]!.length <= MAX_MESSAGE_CHARS) {
      text += this.waiting.shift()!;
    }
    this.waitingChars -= text.length;
    return text;
  }

  /**
   * Oldest first: held chunks, then waiting text. Dropped waiting text still uses up a sequence
   * number, so the sidecar sees the gap (via `keptFrom`) exactly where the text was.
   */
  private enforceCap(): void {
    while (this.heldChars + this.waitingChars > this.offlineCapChars) {
      const oldest = this.held.shift();
      if (oldest) {
        this.heldChars -= oldest.text.length;
        this.droppedChars += oldest.text.length;
        continue;
      }
      const text = this.waiting.shift();
      if (text === undefined) break;
      this.waitingChars -= text.length;
      this.droppedChars += text.length;
      this.nextSeq++;
    }
  }
}
