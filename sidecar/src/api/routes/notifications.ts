// Alerts, the webhook and the ESPHome release check over REST.
import { Router } from "express";
import { WebhookPut } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";

export function notificationRoutes(ctx: ApiContext): Router {
  const r = Router();
  const api = () => {
    if (!ctx.notifications) throw new HttpError(404, "not_found", "notifications are not available on this sidecar");
    return ctx.notifications;
  };

  r.get("/alerts", (_req, res) => {
    res.json({ alerts: api().alerts() });
  });
  r.get("/notifications/webhook", (_req, res) => {
    res.json(api().webhook.view());
  });
  r.put("/notifications/webhook", (req, res) => {
    res.json(api().webhook.configure(parseWith(WebhookPut, req.body, "webhook")));
  });
  r.post("/notifications/webhook/test", (_req, res) => {
    const id = api().webhook.notify("test", { message: "a test event from Forge for ESPHome" });
    if (!id) throw new HttpError(409, "conflict", "no webhook URL is set (PUT /notifications/webhook)");
    res.json({ ok: true, id });
  });
  r.post("/esphome/releases/check", async (_req, res, next) => {
    try {
      res.json({ release: await api().release.check() });
    } catch (err) {
      next(new HttpError(502, "bad_gateway", `could not ask for ESPHome releases: ${(err as Error).message}`));
    }
  });
  return r;
}
