// Who may open the events socket, decided at the HTTP upgrade: the admin token as a bearer header
// (HA, the CLI, scripts) or a ticket offered as a subprotocol (browsers; see event-tickets.ts).
import type { IncomingMessage } from "node:http";
import { EVENTS_SUBPROTOCOL, EVENTS_TICKET_PREFIX } from "@esphome-forge/shared";
import type { UpgradeAuth } from "../edge/upgrade-gate.js";
import { bearer, isAdminToken } from "../util/admin-token.js";
import type { EventTickets } from "./event-tickets.js";

/** What an accepted events socket carries: the subprotocol to select, if the client offered any. */
export interface EventsPrincipal {
  protocol: string | null;
}

export function authenticateEvents(
  req: IncomingMessage,
  adminToken: string,
  tickets: EventTickets,
): UpgradeAuth<EventsPrincipal> {
  const offered = (req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const ticket = offered.find((p) => p.startsWith(EVENTS_TICKET_PREFIX))?.slice(EVENTS_TICKET_PREFIX.length);
  const header = req.headers.authorization;
  if (header !== undefined) {
    if (isAdminToken(bearer(header), adminToken)) return { ok: true, principal: { protocol: null } };
    return { ok: false, presented: true, message: "invalid admin token" };
  }
  if (ticket !== undefined) {
    if (!offered.includes(EVENTS_SUBPROTOCOL))
      return { ok: false, presented: false, message: `offer the subprotocol ${EVENTS_SUBPROTOCOL} with the ticket` };
    if (tickets.redeem(ticket)) return { ok: true, principal: { protocol: EVENTS_SUBPROTOCOL } };
    return { ok: false, presented: true, message: "unknown, used or expired ticket; get a new one" };
  }
  return {
    ok: false,
    presented: false,
    message:
      "authenticate the upgrade: `Authorization: Bearer <admin token>`, or a ticket from POST /api/v1/events/ticket " +
      `offered as the subprotocols ${EVENTS_SUBPROTOCOL} and ${EVENTS_TICKET_PREFIX}<ticket>`,
  };
}
