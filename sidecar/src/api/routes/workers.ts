import { Router } from "express";
import { CreateWorkerTokenRequest, WorkerPatch } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";

export function workerRoutes(ctx: ApiContext, onWorkerChanged: (workerId: string) => void): Router {
  const r = Router();

  r.get("/workers", (_req, res) => {
    res.json({ workers: ctx.registry.list() });
  });

  r.patch("/workers/:id", (req, res) => {
    const patch = parseWith(WorkerPatch, req.body, "worker patch");
    const worker = ctx.registry.setOverrides(req.params.id, patch);
    // Tell the live worker, so it runs that many jobs at once without a restart.
    // Roles stay on the sidecar: the worker is never asked what it may do.
    const { roles: _roles, ...toWorker } = patch;
    if (toWorker.slots !== undefined || toWorker.tags !== undefined)
      ctx.registry.session(req.params.id)?.send({ type: "configure", ...toWorker });
    onWorkerChanged(req.params.id);
    res.json(worker);
  });

  r.post("/workers/:id/clean-cache", (req, res) => {
    const session = ctx.registry.session(req.params.id);
    if (!session) throw new HttpError(409, "conflict", `worker ${req.params.id} is not connected`);
    const { device } = routeQuery<{ device?: string }>(res);
    session.send({ type: "clean_cache", ...(device ? { deviceId: device } : {}) });
    res.json({ ok: true });
  });

  r.get("/worker-tokens", (_req, res) => {
    res.json({ tokens: ctx.tokens.list() });
  });

  r.post("/worker-tokens", (req, res) => {
    const { name } = parseWith(CreateWorkerTokenRequest, req.body, "token request");
    res.status(201).json(ctx.tokens.create(name));
  });

  r.delete("/worker-tokens/:id", (req, res) => {
    const token = ctx.tokens.revoke(req.params.id);
    ctx.hub.disconnectToken(token.id);
    res.json({ ok: true });
  });
  return r;
}
