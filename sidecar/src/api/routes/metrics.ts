import { Router } from "express";
import type { ApiContext } from "../context.js";

/** GET /metrics: Prometheus text format (admin token or the read-only metrics token; see the route table). */
export function metricsRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.get("/metrics", async (_req, res) => {
    const text = await ctx.metrics.text();
    res.set("Cache-Control", "no-store").type(ctx.metrics.contentType).send(text);
  });
  return r;
}
