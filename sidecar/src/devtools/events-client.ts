// A test client for /api/v1/events that records every message, checked against the shared schema.
import WebSocket from "ws";
import { EventsServerMessage } from "@esphome-forge/shared";

export class EventsClient {
  readonly messages: EventsServerMessage[] = [];
  /** performance.now() at the arrival of each message (same index as `messages`). */
  readonly receivedAt: number[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;

  constructor(url: string, token: string | null, opts: { headerAuth?: boolean } = {}) {
    const headers: Record<string, string> = opts.headerAuth && token ? { authorization: `Bearer ${token}` } : {};
    this.ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/v1/events`, { headers });
    this.opened = new Promise((resolve) => this.ws.once("open", () => resolve()));
    this.ws.on("open", () => {
      if (!opts.headerAuth && token !== null) this.ws.send(JSON.stringify({ type: "auth", token }));
    });
    this.ws.on("message", (d) => {
      this.receivedAt.push(performance.now());
      this.messages.push(EventsServerMessage.parse(JSON.parse(d.toString())));
    });
    this.ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.ws.on("error", () => undefined);
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  of<T extends EventsServerMessage["type"]>(type: T): Extract<EventsServerMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<EventsServerMessage, { type: T }> => m.type === type);
  }

  /** Arrival time of the first message matching `pred`, or undefined. */
  arrival(pred: (m: EventsServerMessage) => boolean): number | undefined {
    const i = this.messages.findIndex(pred);
    return i < 0 ? undefined : this.receivedAt[i];
  }

  close(): void {
    this.ws.terminate();
  }
}
