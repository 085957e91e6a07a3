// The OpenAPI route table (shared/src/api-routes.ts) against the routes express really mounts in
// createApp, both ways: a route the table documents but nobody serves, or one served but missing
// from the table (and so from the OpenAPI document and the route guard), fails here.
import type { Router } from "express";
import { describe, expect, it } from "vitest";
import { API_PREFIX, ROUTES } from "@esphome-forge/shared";
import { FailureLimiter } from "../edge/failure-limiter.js";
import { HostPolicy } from "../edge/host-policy.js";
import { EventTickets } from "../events/event-tickets.js";
import { createApp } from "./app.js";
import type { ApiContext } from "./context.js";

interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** `METHOD /path` for every route in an express router tree, mount paths included. */
function mounted(stack: Layer[], prefix = ""): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on && method !== "_all") out.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
    } else if (layer.handle.stack) {
      const at = layer.rawPath && layer.rawPath !== "/" ? layer.rawPath : "";
      out.push(...mounted(layer.handle.stack, prefix + at));
    }
  }
  return out;
}

describe("route table ⇄ mounted routes", () => {
  const ctx = {
    adminToken: "a".repeat(40),
    limiter: new FailureLimiter(),
    hosts: new HostPolicy(),
    tickets: new EventTickets(),
    publicDir: null,
    log: () => undefined,
    // The trust routes are mounted only when a trust engine is present; their handlers are not run here.
    trust: {},
    // Likewise the config workspace's routes.
    workspace: { ws: {}, ops: {} },
  } as unknown as ApiContext;
  const app = createApp(ctx, { onWorkerChanged: () => undefined, onSettingsChanged: () => undefined });
  const served = mounted((app as unknown as { router: Router & { stack: Layer[] } }).router.stack).filter((r) =>
    r.split(" ")[1]!.startsWith(API_PREFIX),
  );
  const documented = ROUTES.map((r) => `${r.method.toUpperCase()} ${API_PREFIX}${r.path}`);

  it("serves every documented route", () => {
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });

  it("documents every served route", () => {
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it("finds the routes it compares (the walk over express's router is not empty)", () => {
    expect(served).toContain(`POST ${API_PREFIX}/jobs`);
    expect(served.length).toBe(new Set(served).size);
  });

  // GET /debug/stats is the benchmark's probe (FORGE_DEBUG_EVENT_LOOP=on), deliberately outside the public
  // API and so outside the table: it is the one served route the table may lack, and only when switched on.
  it("serves the undocumented debug route only when the debug probes are on, and nothing else undocumented", () => {
    const debugApp = createApp(
      { ...ctx, debug: { eventLoop: {}, deviceViewsPending: () => 0 } } as unknown as ApiContext,
      {
        onWorkerChanged: () => undefined,
        onSettingsChanged: () => undefined,
      },
    );
    const withDebug = mounted((debugApp as unknown as { router: Router & { stack: Layer[] } }).router.stack).filter(
      (r) => r.split(" ")[1]!.startsWith(API_PREFIX),
    );
    expect(withDebug.filter((r) => !documented.includes(r))).toEqual([`GET ${API_PREFIX}/debug/stats`]);
    expect(served).not.toContain(`GET ${API_PREFIX}/debug/stats`);
  });

  it("declares a schema for every path parameter, named as in the path", () => {
    for (const r of ROUTES) {
      const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      expect(Object.keys(r.params?.shape ?? {}).sort(), `${r.method} ${r.path}`).toEqual(names.sort());
    }
  });
});
