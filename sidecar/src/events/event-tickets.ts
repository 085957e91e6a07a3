// Tickets for browsers to open the events socket: a browser cannot put the admin token in a
// WebSocket handshake header, and a token in the URL or in the first message would mean accepting
// the socket before knowing who is on it. An authenticated REST call gets a random ticket, good
// for one upgrade within TICKET_TTL_MS; the upgrade offers it as a subprotocol.
import { randomBytes } from "node:crypto";
import type { EventsTicketResponse } from "@esphome-forge/shared";

export const TICKET_TTL_MS = 30_000;
/** Outstanding tickets at most; the oldest is dropped first (an admin asking in a loop cannot grow memory). */
const MAX_OUTSTANDING = 1000;

export class EventTickets {
  /** ticket → expiry (ms); Map order is issue order. */
  private readonly tickets = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): EventsTicketResponse {
    this.dropExpired();
    if (this.tickets.size >= MAX_OUTSTANDING) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = randomBytes(32).toString("base64url");
    const expires = this.now() + TICKET_TTL_MS;
    this.tickets.set(ticket, expires);
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** True once per issued, unexpired ticket; the ticket is gone afterwards either way. */
  redeem(ticket: string): boolean {
    const expires = this.tickets.get(ticket);
    if (expires === undefined) return false;
    this.tickets.delete(ticket);
    return expires > this.now();
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [ticket, expires] of this.tickets) {
      if (expires > now) break; // issued in order with one TTL: the rest expire later
      this.tickets.delete(ticket);
    }
  }
}
