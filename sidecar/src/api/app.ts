// Assembles the express app: the listener's gate (the Host check on the API port, the proxy check
// on the ingress port), security headers, the route table's guard (405, auth, typed params and
// query), body limits, the /api/v1 routes, the standalone dashboard's static files, and JSON
// errors for everything that goes wrong. The same app serves both listeners; only the gate and
// how routes are authenticated differ.
import { existsSync } from "node:fs";
import express, { type RequestHandler } from "express";
import { API_PREFIX } from "@esphome-forge/shared";
import { requireAdmin, requireAdminOrMetrics, requireAdminOrWorker } from "./auth.js";
import { refuseWritesWhileDiskFull } from "./disk-full.js";
import { implausibleImage } from "../firmware/image-floor.js";
import type { ApiContext } from "./context.js";
import { errorHandler, HttpError, notFound } from "./errors.js";
import { hostGuard } from "./host-guard.js";
import { authenticateRoute, matchRoute, parseRoute, type RouteAuth } from "./route-guard.js";
import { debugRoutes } from "./routes/debug.js";
import { deviceRoutes } from "./routes/devices.js";
import { eventsTicketRoutes } from "./routes/events-ticket.js";
import { jobRoutes } from "./routes/jobs.js";
import { metricsRoutes } from "./routes/metrics.js";
import { firmwareRoutes, publicRoutes, systemRoutes } from "./routes/system.js";
import { trustRoutes } from "./routes/trust.js";
import { EXTERNAL_FIRMWARE_BODY, EXTERNAL_FIRMWARE_PATH, trustExternalRoutes } from "./routes/trust-external.js";
import { trustOtaKeyRoutes } from "./routes/trust-ota-keys.js";
import { workerRoutes } from "./routes/workers.js";
import { notificationRoutes } from "./routes/notifications.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { workspaceRoutes } from "./routes/workspace.js";
import { deviceSignedOtaRoutes } from "./routes/device-signed-ota.js";

/** JSON bodies are small (job requests, patches); anything bigger is refused with 413. */
export const MAX_JSON_BODY = "256kb";

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy":
      "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
      "object-src 'none'; base-uri 'none'; frame-ancestors 'self'",
  });
  next();
};

/** Bodies on write routes must be JSON; a form or text body gets a clear 415. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (hasBody && ["POST", "PATCH", "PUT"].includes(req.method) && !req.is("application/json")) {
    return next(new HttpError(415, "unsupported_media_type", "request bodies must be application/json"));
  }
  next();
};

export interface AppHooks {
  /** A worker's slots or tags changed through the API. */
  onWorkerChanged: (workerId: string) => void;
  onSettingsChanged: () => void;
}

/** What differs between the listeners: who may talk to it at all, and how routes are authenticated. */
export interface AppListener {
  gate: RequestHandler;
  auth: RouteAuth;
}

/** The API port: the Host check, then bearer tokens (admin, worker, metrics). */
export function tokenListener(ctx: ApiContext): AppListener {
  return {
    gate: hostGuard(ctx.hosts),
    auth: {
      admin: requireAdmin(ctx.adminToken, ctx.limiter),
      // A worker token counts only while its worker is connected and approved (a pending or revoked one has no session).
      adminOrWorker: requireAdminOrWorker(
        ctx.adminToken,
        ctx.tokens,
        ctx.limiter,
        (tokenId) => ctx.registry.sessionsForToken(tokenId).length > 0,
      ),
      adminOrMetrics: requireAdminOrMetrics(ctx.adminToken, ctx.metricsToken, ctx.limiter),
    },
  };
}

export function createApp(ctx: ApiContext, hooks: AppHooks, listener = tokenListener(ctx)): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(listener.gate);
  app.use(securityHeaders);

  const api = express.Router();
  api.use(matchRoute, authenticateRoute(listener.auth));
  api.use(parseRoute);
  if (ctx.disk) {
    // Nothing that writes runs while the disk is full; the events ticket writes nothing, so browsers keep their stream.
    const refuse = refuseWritesWhileDiskFull(ctx.disk);
    api.use((req, res, next) => (req.path === "/events/ticket" ? next() : refuse(req, res, next)));
  }
  // A CI firmware upload (base64 in JSON) is the one large body: parsed with its own limit, after auth.
  api.use(EXTERNAL_FIRMWARE_PATH, express.json({ limit: EXTERNAL_FIRMWARE_BODY, strict: true }));
  api.use(requireJson, express.json({ limit: MAX_JSON_BODY, strict: true }));
  api.use(publicRoutes(ctx));
  api.use(firmwareRoutes(ctx));
  api.use(metricsRoutes(ctx));
  api.use(systemRoutes(ctx, hooks.onSettingsChanged));
  api.use(eventsTicketRoutes(ctx));
  api.use(deviceRoutes(ctx));
  if (ctx.workspace) api.use(workspaceRoutes(ctx, ctx.workspace.ws, ctx.workspace.ops));
  if (ctx.workspace && ctx.trust)
    api.use(deviceSignedOtaRoutes(ctx.trust, ctx.workspace.ops, (id) => ctx.inventory.get(id)?.variant ?? null));
  api.use(jobRoutes(ctx));
  api.use(workerRoutes(ctx, hooks.onWorkerChanged));
  api.use(scheduleRoutes(ctx), notificationRoutes(ctx));
  if (ctx.trust)
    api.use(
      trustRoutes(
        ctx.trust,
        () => ctx.settings.get().trustPolicy,
        ctx.inventory,
        (id, reason, since) => {
          if (ctx.registry.has(id) && !ctx.enrolments.isRevoked(id)) ctx.enrolments.revoke(id, reason, since);
        },
      ),
      trustExternalRoutes(ctx.trust, ctx.firmware, ctx.inventory, (deviceId, image) =>
        implausibleImage(image, ctx.inventory.get(deviceId)?.platform ?? null),
      ),
      trustOtaKeyRoutes(ctx.trust),
    );
  if (ctx.debug) api.use(debugRoutes(ctx));
  api.use(notFound);
  app.use(API_PREFIX, api);

  if (ctx.publicDir && existsSync(ctx.publicDir)) {
    app.use(
      express.static(ctx.publicDir, {
        index: "index.html",
        dotfiles: "deny",
        fallthrough: true,
        // Asset names carry a content hash; the page itself must always be revalidated.
        setHeaders: (res, file) =>
          res.set("Cache-Control", file.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache"),
      }),
    );
  } else {
    app.get("/", (_req, res) => {
      res
        .type("text/plain")
        .send("Forge for ESPHome sidecar. The dashboard bundle is not built (npm run -w card build). API: /api/v1\n");
    });
  }
  app.use(notFound);
  app.use(errorHandler(ctx.log, (err) => ctx.disk?.report(err, "an API request")));
  return app;
}
