// GET /api/v1/debug/stats (admin): how long the event loop stalled, how many device views wait for a
// background rebuild, and the process's memory. Only mounted when FORGE_DEBUG_EVENT_LOOP=on (the benchmark); not part of the
// public API, so it is not in the shared route table.
import { Router } from "express";
import type { ApiContext } from "../context.js";

export function debugRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.get("/debug/stats", (req, res) => {
    res.json({
      eventLoop: ctx.debug!.eventLoop.read(req.query.reset === "true"),
      deviceViewsPending: ctx.debug!.deviceViewsPending(),
      memory: process.memoryUsage(),
    });
  });
  return r;
}
