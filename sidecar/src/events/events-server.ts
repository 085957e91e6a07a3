// The events WebSocket (/api/v1/events): after authentication a client gets a snapshot, then
// every delta; it may also follow job logs. A client that cannot keep up (its socket buffer
// grows past the limit) is dropped with a reason instead of letting memory grow.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import {
  EventsClientMessage,
  EventsCloseCode,
  TERMINAL_JOB_STATES,
  type EventsServerMessage,
  type SnapshotEvent,
} from "@esphome-forge/shared";
import { bearer, isAdminToken } from "../util/admin-token.js";
import type { JobQueue } from "../queue/job-queue.js";
import { describeIssues } from "../util/describe-issues.js";
import { sendCorked } from "./corked-send.js";
import type { EventBus, LogChunkEvent } from "./event-bus.js";

/** Buffered bytes beyond which a subscriber is considered too slow and is disconnected. */
export const SLOW_CONSUMER_BYTES = 8 * 1024 * 1024;
const AUTH_TIMEOUT_MS = 10_000;

export interface EventsServerOptions {
  adminToken: string;
  bus: EventBus;
  queue: JobQueue;
  /** What a new client starts from; the device views come as JSON already (a UTF-8 array, kept per device). */
  snapshot: () => Omit<SnapshotEvent, "type" | "seq" | "devices"> & { devicesJson: Buffer };
  slowConsumerBytes?: number;
}

export class EventsServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private snapshot: { seq: number; frame: Buffer } | null = null;

  constructor(private readonly o: EventsServerOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    if (isAdminToken(bearer(req.headers.authorization), this.o.adminToken)) {
      this.start(ws);
      return;
    }
    // Browsers cannot set headers on a WebSocket: accept the token as the first message.
    const timer = setTimeout(
      () => ws.close(EventsCloseCode.unauthorized, "no auth message within 10 s"),
      AUTH_TIMEOUT_MS,
    );
    ws.once("message", (data) => {
      clearTimeout(timer);
      const msg = safeJson(data.toString());
      const parsed = EventsClientMessage.safeParse(msg);
      if (parsed.success && parsed.data.type === "auth" && isAdminToken(parsed.data.token, this.o.adminToken)) {
        this.start(ws);
        return;
      }
      send(ws, { type: "error", code: "unauthorized", message: "invalid or missing admin token" });
      ws.close(EventsCloseCode.unauthorized, "unauthorized");
    });
  }

  /**
   * The snapshot as JSON (UTF-8), built once per state: clients that connect while nothing changed (a
   * dashboard reload, HA and several browsers reconnecting after a restart) share one frame.
   */
  private snapshotFrame(): Buffer {
    const seq = this.o.bus.currentSeq;
    if (this.snapshot?.seq !== seq) {
      const { devicesJson, jobs, workers } = this.o.snapshot();
      // The devices' bytes are spliced in as they are, not parsed, serialized or encoded again.
      const frame = Buffer.concat([
        Buffer.from(`{"type":"snapshot","seq":${seq},"devices":`),
        devicesJson,
        Buffer.from(`,"jobs":${JSON.stringify(jobs)},"workers":${JSON.stringify(workers)}}`),
      ]);
      this.snapshot = { seq, frame };
    }
    return this.snapshot.frame;
  }

  private start(ws: WebSocket): void {
    const limit = this.o.slowConsumerBytes ?? SLOW_CONSUMER_BYTES;
    const logs = new Set<number>();
    const deliver = (msg: EventsServerMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > limit) {
        send(ws, {
          type: "error",
          code: "slow_consumer",
          message: `more than ${limit} bytes unread; reconnect to resync`,
        });
        ws.close(EventsCloseCode.slowConsumer, "slow consumer: too far behind");
        ws.terminate();
        cleanup();
        return;
      }
      send(ws, msg);
    };
    const offDelta = this.o.bus.onDelta((e) => {
      deliver(e);
      if (e.type === "job" && e.job && logs.has(e.id) && TERMINAL_JOB_STATES.includes(e.job.state)) {
        deliver({ type: "log_end", jobId: e.id, state: e.job.state });
        logs.delete(e.id);
      }
    });
    const offLog = this.o.bus.onLog((e) => {
      if (logs.has(e.jobId)) deliver(logMessage(e));
    });
    const cleanup = () => {
      offDelta();
      offLog();
      logs.clear();
    };
    ws.on("close", cleanup);
    ws.on("error", cleanup);
    if (ws.readyState === ws.OPEN) sendCorked(ws, this.snapshotFrame());

    ws.on("message", (data) => {
      const parsed = EventsClientMessage.safeParse(safeJson(data.toString()));
      if (!parsed.success) {
        deliver({ type: "error", code: "invalid_message", message: describeIssues(parsed.error.issues) });
        return;
      }
      const m = parsed.data;
      if (m.type === "ping") deliver({ type: "pong", id: m.id });
      else if (m.type === "unsubscribe_log") logs.delete(m.jobId);
      else if (m.type === "subscribe_log") {
        const job = this.o.queue.get(m.jobId);
        if (!job) {
          deliver({ type: "error", code: "not_found", message: `no job with id ${m.jobId}` });
          return;
        }
        // Send what is stored, then live chunks; offsets let the client stitch without gaps.
        const stored = this.o.queue.readLog(m.jobId, m.offset);
        deliver({
          type: "log",
          jobId: m.jobId,
          offset: stored.startOffset,
          chunk: stored.text,
          truncatedBefore: stored.truncatedBefore,
        });
        if (TERMINAL_JOB_STATES.includes(job.state)) deliver({ type: "log_end", jobId: job.id, state: job.state });
        else logs.add(m.jobId);
      }
    });
  }
}

/** One delta goes to every client: serialize it once, not once per client. */
const serialized = new WeakMap<object, string>();

function send(ws: WebSocket, msg: EventsServerMessage): void {
  let text = serialized.get(msg);
  if (text === undefined) {
    text = JSON.stringify(msg);
    serialized.set(msg, text);
  }
  // Log chunks are large and come in bursts: corking would hold them all until the tick ends and
  // count them against the slow-consumer limit at once; they go out as they come.
  if (msg.type === "log") ws.send(text);
  else sendCorked(ws, text);
}

const logMessages = new WeakMap<LogChunkEvent, EventsServerMessage>();
/** The same log chunk object for every subscriber, so its JSON is built once too. */
function logMessage(e: LogChunkEvent): EventsServerMessage {
  let m = logMessages.get(e);
  if (!m) {
    m = { type: "log", ...e };
    logMessages.set(e, m);
  }
  return m;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
