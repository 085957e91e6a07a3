import { Router } from "express";
import { buildOpenApiDocument, SettingsPatch, type SessionResponse } from "@esphome-forge/shared";
import { ingressIdentity } from "../ingress-guard.js";
import { SIDECAR_VERSION } from "../../util/version.js";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";
import { trustActor } from "./trust.js";
import { sendFirmware } from "./jobs.js";

/** Routes that need no token: liveness, the API description, and how this request is signed in. */
export function publicRoutes(ctx: ApiContext): Router {
  const r = Router();
  // Built when first asked for: turning every schema into JSON Schema took 35-60 ms of each start.
  let openapi: ReturnType<typeof buildOpenApiDocument> | null = null;
  r.get("/health", (_req, res) => {
    res.json(ctx.health());
  });
  r.get("/openapi.json", (_req, res) => {
    res.json((openapi ??= buildOpenApiDocument(SIDECAR_VERSION)));
  });
  // The dashboard asks before showing a token login: under Home Assistant's ingress it needs none.
  r.get("/session", (_req, res) => {
    const ingress = ingressIdentity(res.locals);
    const body: SessionResponse = ingress ? { via: "ingress", user: ingress.user } : { via: "none", user: null };
    res.set("Cache-Control", "no-store").json(body);
  });
  return r;
}

export function systemRoutes(ctx: ApiContext, onSettingsChanged: () => void): Router {
  const r = Router();
  r.get("/info", (_req, res) => {
    res.json(ctx.info());
  });
  r.get("/settings", (_req, res) => {
    res.json({ settings: ctx.settings.get() });
  });
  r.get("/tls", (_req, res) => {
    res.json(ctx.transport.info());
  });
  r.post("/tls/rotate", (_req, res) => {
    try {
      // Connected workers learn the new fingerprint over the link they pinned before it changes.
      res.json(ctx.transport.rotate((fp) => ctx.hub.announceServerKey(fp)));
    } catch (err) {
      throw new HttpError(409, "conflict", (err as Error).message);
    }
  });
  r.patch("/settings", (req, res) => {
    const patch = parseWith(SettingsPatch.strict(), req.body, "settings");
    const before = ctx.settings.get().trustPolicy;
    const settings = ctx.settings.patch(patch);
    if (settings.trustPolicy !== before)
      ctx.trust?.recordTrustChange({
        change: "fleet_policy",
        actor: trustActor(req),
        subject: "fleet",
        detail: { from: before, to: settings.trustPolicy },
      });
    onSettingsChanged();
    res.json({ settings });
  });
  return r;
}

/** Firmware by digest: admins, and workers fetching what an `upload` job flashes. */
export function firmwareRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.get("/firmware/:sha256", (req, res) => {
    const tokenId = res.locals.workerTokenId as string | undefined;
    // A worker gets only firmware it was assigned to flash (it embeds the device's secrets).
    if (tokenId && !ctx.registry.sessionsForToken(tokenId).some((s) => s.wasAssigned(req.params.sha256)))
      throw new HttpError(403, "forbidden", "this worker was not assigned that firmware");
    sendFirmware(ctx, res, req.params.sha256, `${req.params.sha256}.bin`);
  });
  return r;
}
