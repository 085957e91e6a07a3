// The ingress listener (see edge/ingress.ts): a second HTTP server for Home Assistant's ingress
// proxy only, serving the same dashboard and API as the API port, and the events socket (never
// the worker socket). It has its own bad-token limiter, so a browser's wrong ticket behind the
// shared proxy address never slows down workers or HA's integration on the API port, and the
// other way round.
import type { Server } from "node:http";
import { API_PREFIX } from "@esphome-forge/shared";
import { FailureLimiter } from "../edge/failure-limiter.js";
import { createPlainServer } from "../edge/http-server.js";
import { IngressPolicy } from "../edge/ingress.js";
import { UpgradeGate, type UpgradeEndpoint } from "../edge/upgrade-gate.js";
import { createApp, type AppHooks } from "./app.js";
import type { ApiContext } from "./context.js";
import { ingressListener } from "./ingress-guard.js";

export interface IngressOptions {
  port: number;
  host: string;
  /** The proxy's address; its ingress headers are believed, nobody else's. */
  source: string;
}

export async function startIngressServer(
  o: IngressOptions,
  ctx: ApiContext,
  hooks: AppHooks,
  events: UpgradeEndpoint<unknown>,
  requestTimeoutMs: number | undefined,
): Promise<Server> {
  const policy = new IngressPolicy(o.source);
  const limiter = new FailureLimiter();
  const app = createApp({ ...ctx, limiter }, hooks, ingressListener(policy));
  const gate = new UpgradeGate({
    endpoints: { [`${API_PREFIX}/events`]: events },
    screen: policy,
    limiter,
    log: ctx.log,
  });
  const server = createPlainServer(app, gate, { requestTimeoutMs, log: ctx.log });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return server;
}
