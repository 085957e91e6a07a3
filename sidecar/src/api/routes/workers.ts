import { Router } from "express";
import {
  ApproveWorkerRequest,
  CreateWorkerTokenRequest,
  JoinRequest,
  PairingRequest,
  RevokeWorkerRequest,
  WorkerPatch,
} from "@esphome-forge/shared";
import { clientAddress } from "../../edge/client-address.js";
import { tlsChannel } from "../../util/tls-channel.js";
import { JoinRefused } from "../../worker-hub/worker-pairing.js";
import { tooMany } from "../auth.js";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";
import { trustActor } from "./trust.js";

export function workerRoutes(ctx: ApiContext, onWorkerChanged: (workerId: string) => void): Router {
  const r = Router();

  r.post("/workers/pairing", (req, res) => {
    const { host } = parseWith(PairingRequest, req.body ?? {}, "pairing request");
    res.status(201).json(ctx.pairing.pair(host));
  });

  // Authenticated by the pairing code and a key proof bound to this TLS session (not by a token).
  r.post("/worker/join", (req, res) => {
    const addr = clientAddress(req.socket);
    const wait = ctx.limiter.retryAfterSeconds(addr);
    if (wait > 0) throw tooMany(addr, wait);
    const body = parseWith(JoinRequest, req.body, "join request");
    try {
      const joined = ctx.pairing.join(body, tlsChannel(req.socket));
      ctx.log(`worker ${joined.workerId} (${body.name}) joined from ${addr}; enrolment ${joined.enrolment}`);
      onWorkerChanged(joined.workerId);
      res.status(201).json(joined);
    } catch (err) {
      if (!(err instanceof JoinRefused)) throw err;
      if (err.guess) ctx.limiter.fail(addr);
      ctx.log(`join from ${addr} refused: ${err.message}`);
      throw new HttpError(err.status, err.status === 401 ? "unauthorized" : "conflict", err.message);
    }
  });

  r.post("/workers/:id/approve", (req, res) => {
    const { id } = routeParams<{ id: string }>(res);
    const { fingerprint } = parseWith(ApproveWorkerRequest, req.body ?? {}, "approval");
    ctx.enrolments.approve(id, "admin", fingerprint);
    res.json(ctx.registry.view(id));
  });

  r.post("/workers/:id/reject", (_req, res) => {
    const { id } = routeParams<{ id: string }>(res);
    ctx.enrolments.reject(id);
    res.json(ctx.registry.view(id));
  });

  r.post("/workers/:id/revoke", async (req, res) => {
    const { id } = routeParams<{ id: string }>(res);
    const { reason } = parseWith(RevokeWorkerRequest, req.body, "revocation");
    ctx.enrolments.revoke(id, reason);
    // Firmware it built from now on is refused too: the signed revocation list names the worker.
    const since = new Date().toISOString();
    await ctx.trust?.revoke([{ kind: "worker", workerId: id, reason, since }], 90 * 86_400_000);
    res.json(ctx.registry.view(id));
  });

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
    const created = ctx.tokens.create(name);
    // A token lets a machine join as a worker: a change of trust, logged (never the secret).
    ctx.trust?.recordTrustChange({
      change: "worker_token_created",
      actor: trustActor(req),
      subject: created.token.id,
      detail: { name },
    });
    res.status(201).json(created);
  });

  r.delete("/worker-tokens/:id", (req, res) => {
    const token = ctx.tokens.revoke(req.params.id);
    ctx.hub.disconnectToken(token.id);
    ctx.trust?.recordTrustChange({
      change: "worker_token_revoked",
      actor: trustActor(req),
      subject: token.id,
      detail: { name: token.name },
    });
    res.json({ ok: true });
  });
  return r;
}
