// A test client for /api/v1/events that records every message, checked against the shared schema.
import WebSocket from "ws";
import { EventsServerMessage, EventsTicketResponse, eventsProtocols } from "@esphome-forge/shared";

export class EventsClient {
  readonly messages: EventsServerMessage[] = [];
  /** performance.now() at the arrival of each message (same index as `messages`). */
  readonly receivedAt: number[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;

  /** The HTTP answer when the sidecar refused the upgrade (the socket never opened). */
  refused: { status: number; body: string } | null = null;

  /**
   * Authenticates with `Authorization: Bearer <token>` (token null: no credentials at all), or,
   * as a browser does, with a ticket from POST /events/ticket (see EventsClient.withTicket).
   */
  constructor(url: string, token: string | null, opts: { ticket?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers };
    const protocols = opts.ticket ? eventsProtocols(opts.ticket) : [];
    this.ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/v1/events`, protocols, { headers });
    this.opened = new Promise((resolve) => this.ws.once("open", () => resolve()));
    this.ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        this.refused = { status: res.statusCode ?? 0, body };
        this.ws.terminate();
      });
    });
    this.ws.on("message", (d) => {
      this.receivedAt.push(performance.now());
      this.messages.push(EventsServerMessage.parse(JSON.parse(d.toString())));
    });
    this.ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.ws.on("error", () => undefined);
  }

  /** Gets a ticket with the admin token over REST, then connects with it (the browser's way). */
  static async withTicket(url: string, token: string): Promise<EventsClient> {
    const res = await fetch(`${url}/api/v1/events/ticket`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 201) throw new Error(`ticket refused: ${res.status} ${await res.text()}`);
    const { ticket } = EventsTicketResponse.parse(await res.json());
    return new EventsClient(url, null, { ticket });
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
