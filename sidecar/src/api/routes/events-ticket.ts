import { Router } from "express";
import type { ApiContext } from "../context.js";

/** POST /events/ticket: a single-use ticket for a browser's events socket (see events/event-tickets.ts). */
export function eventsTicketRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.post("/events/ticket", (_req, res) => {
    res.status(201).set("Cache-Control", "no-store").json(ctx.tickets.issue());
  });
  return r;
}
