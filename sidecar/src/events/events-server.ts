// The events WebSocket (/api/v1/events): an authenticated client (checked at the upgrade, see
// events-auth.ts and edge/upgrade-gate.ts) gets a snapshot, then every delta; it may also follow
// job logs. A client that cannot keep up (its socket buffer grows past the limit) is dropped with
// close code 4008 and a reason instead of letting memory grow.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import {
  EVENTS_SUBPROTOCOL,
  EventsClientMessage,
  EventsCloseCode,
  SLOW_CONSUMER_REASON,
  TERMINAL_JOB_STATES,
  type EventsServerMessage,
  type LogChunk,
  type SnapshotEvent,
} from "@esphome-forge/shared";
import type { UpgradeEndpoint } from "../edge/upgrade-gate.js";
import type { JobQueue } from "../queue/job-queue.js";
import { describeIssues } from "../util/describe-issues.js";
import { authenticateEvents, type EventsPrincipal } from "./events-auth.js";
import { sendCorked } from "./corked-send.js";
import type { EventBus } from "./event-bus.js";
import type { EventTickets } from "./event-tickets.js";

/** Buffered bytes beyond which a subscriber is considered too slow and is disconnected. */
export const SLOW_CONSUMER_BYTES = 8 * 1024 * 1024;
/** Client messages are a few small JSON commands; anything larger closes the socket with 1009. */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
/** Events sockets one client address may hold at once. */
export const DEFAULT_EVENTS_PER_CLIENT = 32;
/** A dropped slow consumer has this long to read what is queued and the 4008 close, then it is cut. */
const SLOW_CLOSE_GRACE_MS = 30_000;

export interface EventsServerOptions {
  adminToken: string;
  tickets: EventTickets;
  bus: EventBus;
  queue: JobQueue;
  /** What a new client starts from; the device views come as JSON already (a UTF-8 array, kept per device). */
  /** `devicesJson`: the devices as a JSON array in parts (fleet/device-views.ts). */
  snapshot: () => Omit<SnapshotEvent, "type" | "seq" | "devices"> & { devicesJson: Buffer[] };
  slowConsumerBytes?: number;
  maxPerClient?: number;
  log: (msg: string) => void;
}

export class EventsServer implements UpgradeEndpoint<EventsPrincipal> {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // Browsers offering a ticket also offer EVENTS_SUBPROTOCOL, and get it back; others get none.
    handleProtocols: (offered) => (offered.has(EVENTS_SUBPROTOCOL) ? EVENTS_SUBPROTOCOL : false),
  });
  private snapshot: { seq: number; parts: Buffer[] } | null = null;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly o: EventsServerOptions) {}

  admit(addr: string): string | null {
    const max = this.o.maxPerClient ?? DEFAULT_EVENTS_PER_CLIENT;
    const n = this.perClient.get(addr) ?? 0;
    return n >= max ? `${addr} already holds ${n} events sockets (the limit); close one first` : null;
  }

  authenticate(req: IncomingMessage) {
    return authenticateEvents(req, this.o.adminToken, this.o.tickets);
  }

  accept(req: IncomingMessage, socket: Duplex, head: Buffer, _principal: EventsPrincipal, addr: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // First of all: a malformed frame makes `ws` emit `error` (then close with 1002/1007/1009);
      // without a listener that error would end the process.
      ws.on("error", (err) => this.o.log(`events client ${addr}: ${err.message}; socket closed`));
      this.perClient.set(addr, (this.perClient.get(addr) ?? 0) + 1);
      ws.once("close", () => {
        const left = (this.perClient.get(addr) ?? 1) - 1;
        if (left > 0) this.perClient.set(addr, left);
        else this.perClient.delete(addr);
      });
      this.start(ws);
    });
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  /**
   * The snapshot as JSON (UTF-8) in parts, built once per state: clients that connect while nothing changed
   * (a dashboard reload, HA and several browsers reconnecting after a restart) share them. The devices' bytes
   * are the views' own slabs, not parsed, serialized, encoded or even copied again (at 2,000 devices, 4 MB:
   * copying them twice into one buffer made the longest stall at rest); they go out as one message in frames.
   */
  private snapshotParts(): Buffer[] {
    const seq = this.o.bus.currentSeq;
    if (this.snapshot?.seq !== seq) {
      const { devicesJson, ...rest } = this.o.snapshot();
      // The other fields (jobs, workers, …) follow as one JSON object without its opening brace.
      const others = JSON.stringify(rest);
      const parts = [
        Buffer.from(`{"type":"snapshot","seq":${seq},"devices":`),
        ...devicesJson,
        Buffer.from(others === "{}" ? "}" : `,${others.slice(1)}`),
      ];
      this.snapshot = { seq, parts };
    }
    return this.snapshot.parts;
  }

  private start(ws: WebSocket): void {
    const limit = this.o.slowConsumerBytes ?? SLOW_CONSUMER_BYTES;
    const logs = new Set<number>();
    const deliver = (msg: EventsServerMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > limit) {
        // Nothing more is queued for it; the error and the close frame go out behind what is
        // already buffered, so a client that reads on learns why (4008) rather than seeing 1006.
        cleanup();
        send(ws, {
          type: "error",
          code: "slow_consumer",
          message: `more than ${limit} bytes unread; reconnect to resync`,
        });
        ws.close(EventsCloseCode.slowConsumer, SLOW_CONSUMER_REASON);
        const cut = setTimeout(() => ws.terminate(), SLOW_CLOSE_GRACE_MS);
        ws.once("close", () => clearTimeout(cut));
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
    if (ws.readyState === ws.OPEN) sendCorked(ws, this.snapshotParts());

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

const logMessages = new WeakMap<LogChunk, EventsServerMessage>();
/** The same log chunk object for every subscriber, so its JSON is built once too. */
function logMessage(e: LogChunk): EventsServerMessage {
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
