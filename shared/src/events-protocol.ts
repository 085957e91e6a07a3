// How a browser authenticates the events WebSocket, without zod so the card can import it at run
// time (`@esphome-forge/shared/events-protocol`). A browser cannot set headers on a WebSocket: it
// gets a single-use ticket from `POST /api/v1/events/ticket` (admin token) and offers it as a
// subprotocol beside EVENTS_SUBPROTOCOL, which the sidecar selects. A subprotocol keeps the ticket
// out of URLs and access logs.

/** The subprotocol the sidecar selects when a browser offers a ticket. */
export const EVENTS_SUBPROTOCOL = "forge.events.v1";
/** Prefix of the subprotocol that carries a ticket: `forge.ticket.<ticket>`. */
export const EVENTS_TICKET_PREFIX = "forge.ticket.";

/** The subprotocols a browser offers: `new WebSocket(url, eventsProtocols(ticket))`. */
export function eventsProtocols(ticket: string): string[] {
  return [EVENTS_SUBPROTOCOL, `${EVENTS_TICKET_PREFIX}${ticket}`];
}
