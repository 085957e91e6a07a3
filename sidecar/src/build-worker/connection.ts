// The worker's socket to the sidecar (`<server>/api/v1/worker`). Sends hello on open, waits for
// welcome, validates every message in both directions with the shared schemas, watches the
// link with pings, and reconnects with backoff after any disconnect — except a refusal that
// retrying cannot fix (wrong protocol version, bad token), which is reported once as fatal.
import WebSocket, { type RawData } from "ws";
import {
  SidecarToWorker,
  WORKER_PROTOCOL_VERSION,
  WorkerCloseCode,
  WorkerToSidecar,
  type HelloMessage,
} from "@esphome-forge/shared";
import type { Backoff } from "./backoff.js";

type Welcome = Extract<SidecarToWorker, { type: "welcome" }>;

export interface ConnectionEvents {
  welcome(msg: Welcome): void;
  message(msg: SidecarToWorker): void;
  /** A message that failed validation (already logged); the worker may still recognise its job. */
  invalid(raw: unknown, issues: string): void;
  disconnected(info: { code: number; reason: string; retryInMs: number }): void;
  fatal(info: { code: number; reason: string }): void;
}

export interface ConnectionOptions {
  wsUrl: string;
  token: string;
  hello: () => HelloMessage;
  /** Signs the sidecar's challenge nonce (proof that this worker holds its key); base64. */
  prove: (nonce: string) => string;
  backoff: Backoff;
  events: ConnectionEvents;
  log: (line: string) => void;
  /** Give up on a connection that opened but sent no welcome (default 15 s). */
  welcomeTimeoutMs?: number;
}

const FATAL_CODES = new Set<number>([
  WorkerCloseCode.protocolMismatch,
  WorkerCloseCode.outdated,
  WorkerCloseCode.unauthorized,
]);
/** Above this many unsent bytes the build's output is paused; it resumes below LOW_WATER. */
export const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
const DRAIN_POLL_MS = 20;

export class WorkerConnection {
  private ws: WebSocket | null = null;
  private welcomed = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private welcomeTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private drainWaiters: (() => void)[] = [];
  private lastHeard = 0;
  /** The sidecar's `error` message just before a close names the reason in full. */
  private lastError: string | null = null;
  private httpStatus: { status: number; body: string } | null = null;
  private socketError: string | null = null;

  constructor(private readonly o: ConnectionOptions) {}

  start(): void {
    this.closing = false;
    this.connect();
  }

  /** Open and welcomed: job messages may be sent. */
  get ready(): boolean {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  send(msg: WorkerToSidecar): boolean {
    if (!this.ready) return false;
    return this.sendNow(msg);
  }

  /** The bytes announced by the `firmware` message sent just before. */
  sendBinary(bytes: Buffer): boolean {
    if (!this.ready) return false;
    this.ws!.send(bytes, { binary: true });
    return true;
  }

  congested(): boolean {
    return this.ready && this.ws!.bufferedAmount > HIGH_WATER_BYTES;
  }

  /** Calls `fn` once the socket's send buffer has drained (or the socket is gone). */
  whenDrained(fn: () => void): void {
    this.drainWaiters.push(fn);
    this.drainTimer ??= setInterval(() => this.checkDrain(), DRAIN_POLL_MS);
  }

  /** Closes for good (no reconnect); resolves once the socket is closed. */
  async close(code = 1000, reason = "worker stopping"): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return this.cleanup();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => ws.terminate(), 2000);
      ws.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    });
  }

  private connect(): void {
    this.welcomed = false;
    this.lastError = null;
    this.httpStatus = null;
    this.socketError = null;
    const ws = new WebSocket(this.o.wsUrl, {
      headers: { authorization: `Bearer ${this.o.token}` },
      handshakeTimeout: 10_000,
      maxPayload: 64 * 1024 * 1024,
    });
    this.ws = ws;
    ws.on("open", () => {
      this.lastHeard = Date.now();
      this.sendNow(this.o.hello());
      this.welcomeTimer = setTimeout(() => {
        this.o.log("no welcome from the sidecar within the time limit; reconnecting");
        ws.terminate();
      }, this.o.welcomeTimeoutMs ?? 15_000);
    });
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("pong", () => (this.lastHeard = Date.now()));
    ws.on("unexpected-response", (_req, res) => {
      // The sidecar refused the upgrade with plain HTTP (e.g. 401): keep the answer for the report.
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body = (body + d).slice(0, 2000)));
      const done = () => {
        this.httpStatus = { status: res.statusCode ?? 0, body };
        ws.terminate();
      };
      res.once("end", done);
      res.once("error", done);
      setTimeout(done, 2000).unref();
    });
    // The close that follows reports it (as the disconnect reason); no second log line.
    ws.on("error", (err) => (this.socketError = err.message));
    ws.on("close", (code, reasonBuf) => this.onClose(ws, code, reasonBuf.toString("utf8")));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.lastHeard = Date.now();
    if (isBinary) {
      this.o.log("ignoring an unexpected binary frame from the sidecar");
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawToString(data));
    } catch {
      this.o.log("ignoring a message from the sidecar that is not JSON");
      return;
    }
    const parsed = SidecarToWorker.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      this.o.log(`ignoring an invalid ${describeType(json)} message from the sidecar: ${issues.join("; ")}`);
      if (this.welcomed) this.o.events.invalid(json, issues.join("; "));
      return;
    }
    const msg = parsed.data;
    if (msg.type === "error") {
      this.lastError = msg.message;
      this.o.log(`sidecar says: ${msg.code}: ${msg.message}`);
      return;
    }
    if (msg.type === "welcome") return this.onWelcome(msg);
    if (msg.type === "challenge") {
      if (!this.welcomed) this.sendNow({ type: "proof", signature: this.o.prove(msg.nonce) });
      return;
    }
    if (!this.welcomed) {
      this.o.log(`ignoring ${msg.type} received before welcome`);
      return;
    }
    this.o.events.message(msg);
  }

  private onWelcome(msg: Welcome): void {
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    if (msg.protocolVersion !== WORKER_PROTOCOL_VERSION) {
      const reason = `the sidecar speaks worker protocol version ${msg.protocolVersion}, this worker speaks version ${WORKER_PROTOCOL_VERSION}; upgrade the older side`;
      this.fatal(WorkerCloseCode.protocolMismatch, reason);
      return;
    }
    this.welcomed = true;
    this.o.backoff.reset();
    const interval = Math.max(250, msg.heartbeatMs);
    // Half-open links (a cable pulled, a sidecar host that vanished) show up as silence.
    const silence = Math.max(3 * interval, 15_000);
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastHeard > silence) {
        this.o.log(`no answer from the sidecar for ${Math.round(silence / 1000)} s; reconnecting`);
        ws.terminate();
        return;
      }
      ws.ping();
    }, interval);
    this.o.events.welcome(msg);
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.cleanup();
    if (this.closing) return;
    const http = this.httpStatus;
    if (http && (http.status === 401 || http.status === 403)) {
      return this.fatal(
        WorkerCloseCode.unauthorized,
        `the sidecar refused the worker token (HTTP ${http.status}) ${http.body}`.trim(),
      );
    }
    if (FATAL_CODES.has(code)) return this.fatal(code, this.lastError ?? (reason || `closed with code ${code}`));
    if (code === WorkerCloseCode.replaced) {
      this.o.log("another connection with this worker id replaced this one: do two workers share a state folder?");
    }
    const why = this.lastError ?? (reason || this.socketError || "");
    const retryInMs = this.o.backoff.next();
    // A refused upgrade says why in its body (e.g. 421: the sidecar does not answer to this host name).
    this.o.events.disconnected({ code, reason: http ? `HTTP ${http.status} ${http.body}`.trim() : why, retryInMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closing) this.connect();
    }, retryInMs);
  }

  private fatal(code: number, reason: string): void {
    this.closing = true;
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.cleanup();
    this.o.events.fatal({ code, reason });
  }

  private cleanup(): void {
    this.welcomed = false;
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.welcomeTimer = this.pingTimer = null;
    this.checkDrain(); // nothing waits on a dead socket: output goes to the offline backlog now
  }

  private checkDrain(): void {
    const ws = this.ws;
    const drained = !this.ready || !ws || ws.bufferedAmount < LOW_WATER_BYTES;
    if (!drained) return;
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const fn of waiters) fn();
  }

  private sendNow(msg: WorkerToSidecar): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const parsed = WorkerToSidecar.safeParse(msg);
    if (!parsed.success) {
      // A bug on this side; never put an invalid message on the wire.
      this.o.log(`not sending an invalid ${msg.type} message: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      return false;
    }
    ws.send(JSON.stringify(parsed.data));
    return true;
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

function describeType(json: unknown): string {
  const t = (json as { type?: unknown } | null)?.type;
  return typeof t === "string" ? JSON.stringify(t).slice(0, 40) : "untyped";
}
