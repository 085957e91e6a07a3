import { describe, expect, it } from "vitest";
import { EventsTicketResponse } from "@esphome-forge/shared";
import { EventTickets, TICKET_TTL_MS } from "./event-tickets.js";

describe("EventTickets", () => {
  it("redeems a ticket once, and not after it expired", () => {
    let now = 1_000_000;
    const t = new EventTickets(() => now);
    const a = EventsTicketResponse.parse(t.issue());
    expect(new Date(a.expiresAt).getTime()).toBe(now + TICKET_TTL_MS);
    expect(t.redeem(a.ticket)).toBe(true);
    expect(t.redeem(a.ticket)).toBe(false);
    const b = t.issue();
    now += TICKET_TTL_MS;
    expect(t.redeem(b.ticket)).toBe(false);
    expect(t.redeem("never-issued")).toBe(false);
  });

  it("keeps a bounded number of outstanding tickets, dropping the oldest", () => {
    const t = new EventTickets(() => 0);
    const first = t.issue();
    for (let i = 0; i < 1000; i++) t.issue();
    expect(t.redeem(first.ticket)).toBe(false);
    expect(t.redeem(t.issue().ticket)).toBe(true);
  });
});
