import { Router } from "express";
import { DeviceMetadataPatch, EsphomeVersion, macHex, PresenceReport } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";
import { requestActor } from "./workspace.js";
import { trustActor } from "./trust.js";

/** "pin 2026.10.1, tags kitchen, esp32" for a commit subject. */
function describePatch(p: Record<string, unknown>): string {
  const names: Record<string, string> = { pinnedVersion: "pin", trustPolicy: "trust policy" };
  const parts = Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `${names[k] ?? k} ${v === null ? "(cleared)" : Array.isArray(v) ? v.join(", ") || "(none)" : String(v)}`,
    );
  return parts.join("; ") || "metadata";
}

export function deviceRoutes(ctx: ApiContext): Router {
  const r = Router();
  const find = (id: string) => {
    const d = ctx.inventory.get(id);
    if (!d) throw new HttpError(404, "not_found", `no device with id ${id}`);
    return d;
  };

  // Served from the views in memory: no query, no trust evaluation, whatever the fleet's size or history.
  r.get("/devices", (req, res) => {
    const { parts, length, etag } = ctx.devices.listJson();
    res.set("ETag", etag).type("application/json");
    if (req.fresh) return void res.status(304).end();
    res.set("Content-Length", String(length));
    if (req.method === "HEAD") return void res.end();
    // The list's slabs go out as they are held (one write of many buffers), never copied into one body.
    res.cork();
    for (const part of parts) res.write(part);
    res.end();
  });

  r.get("/devices/:id", (req, res) => {
    const d = find(req.params.id);
    res.json(ctx.devices.get(d.id) ?? ctx.view.toDevice(d));
  });

  r.patch("/devices/:id/metadata", async (req, res) => {
    find(req.params.id);
    const patch = parseWith(DeviceMetadataPatch, req.body, "metadata");
    if (patch.pinnedVersion != null) parseWith(EsphomeVersion, patch.pinnedVersion, "pinnedVersion");
    // The trust policy set here is the admin's (logged): it may go below the fleet's, which the YAML
    // comment alone cannot (see trust/policy/device-policy.ts).
    if (patch.trustPolicy !== undefined) ctx.trust?.setDevicePolicy(req.params.id, patch.trustPolicy, trustActor(req));
    const apply = () => ctx.inventory.setMetadata(req.params.id, patch);
    // With config history on, the change is one commit by the requesting user.
    const updated = ctx.workspace
      ? await ctx.workspace.ops.metadata(req.params.id, describePatch(patch), apply, requestActor(req))
      : await apply();
    res.json(ctx.devices.get(updated.id) ?? ctx.view.toDevice(updated));
  });

  // What HA's ESPHome integration knows about the device. HA matched it by MAC or name: a MAC that
  // contradicts the one Forge knows is refused rather than shown on the wrong device.
  r.put("/devices/:id/presence", (req, res) => {
    const d = find(req.params.id);
    const report = parseWith(PresenceReport, req.body, "presence report");
    const known = ctx.presence.knownMac(d.id);
    const said = macHex(report.mac);
    if (known && said && known !== said)
      throw new HttpError(409, "conflict", `device ${d.id} has MAC ${known}; the report names ${said}`);
    ctx.presence.haReport(d.id, report);
    res.json(ctx.view.toDevice(d));
  });

  r.get("/stats/devices", (_req, res) => {
    res.json({ stats: ctx.queue.stats() });
  });
  return r;
}
