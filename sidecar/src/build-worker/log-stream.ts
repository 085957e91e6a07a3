// A job's build output on its way to the sidecar. Bytes from stdout/stderr are decoded as
// UTF-8 per stream (a multi-byte character split across reads is held back until complete),
// batched for ≤ 50 ms or 16 K characters, and sent as `log` messages with ANSI colours intact.
// While the sidecar is unreachable the text waits in a capped backlog: the oldest output is
// dropped first, and a marker line says how much went missing.
import { StringDecoder } from "node:string_decoder";

export interface LogSink {
  /** Sends one chunk now; returns false when the sidecar is unreachable (the chunk is kept). */
  trySend(chunk: string): boolean;
}

export interface JobLogOptions {
  batchMs?: number;
  batchChars?: number;
  /** Most characters kept per job while disconnected. */
  offlineCapChars?: number;
}

/** Characters per log message when a backlog is sent in one go (the schema allows 1 Mi). */
const MAX_MESSAGE_CHARS = 256 * 1024;

export type LogSource = "stdout" | "stderr";

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
  private backlog: string[] = [];
  private backlogChars = 0;
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

  /** Sends everything pending now, or moves it to the backlog while the sidecar is away. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.disposed) return;
    if (this.batch) {
      this.backlog.push(this.batch);
      this.backlogChars += this.batch.length;
      this.batch = "";
    }
    if (this.droppedChars > 0 && this.backlog.length > 0) {
      const marker = `\n\x1b[33m[forge worker] ${this.droppedChars} characters of build output were dropped while the sidecar was unreachable\x1b[0m\n`;
      if (!this.sink.trySend(marker)) return this.enforceCap();
      this.droppedChars = 0;
    }
    while (this.backlog.length > 0) {
      const chunk = this.takeChunk();
      if (!this.sink.trySend(chunk)) {
        this.backlog.unshift(chunk);
        this.backlogChars += chunk.length;
        return this.enforceCap();
      }
    }
  }

  /** Characters not yet handed to the socket. */
  get pendingChars(): number {
    return this.backlogChars + this.batch.length;
  }

  get dropped(): number {
    return this.droppedChars;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.batch = "";
    this.backlog = [];
    this.backlogChars = 0;
  }

  private append(text: string): void {
    if (!text || this.disposed) return;
    this.batch += text;
    if (this.batch.length >= this.batchChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  /** Joins backlog pieces (each whole, so never splitting a character) up to one message's size. */
  private takeChunk(): string {
    let chunk = this.backlog.shift()!;
    while (this.backlog.length > 0 && chunk.length + this.backlog[0]!.length <= MAX_MESSAGE_CHARS) {
      chunk += this.backlog.shift()!;
    }
    this.backlogChars -= chunk.length;
    return chunk;
  }

  private enforceCap(): void {
    while (this.backlogChars > this.offlineCapChars && this.backlog.length > 0) {
      const oldest = this.backlog.shift()!;
      this.backlogChars -= oldest.length;
      this.droppedChars += oldest.length;
    }
  }
}
