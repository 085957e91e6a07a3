import { Router } from "express";
import { DeviceMetadataPatch, EsphomeVersion, macHex, PresenceReport } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";

export function deviceRoutes(ctx: ApiContext): Router {
  const r = Router();
  const find = (id: string) => {
    const d = ctx.inventory.get(id);
    if (!d) throw new HttpError(404, "not_found", `no device with id ${id}`);
    return d;
  };

  // Served from the views in memory: no query, no trust evaluation, whatever the fleet's size or history.
  r.get("/devices", (_req, res) => {
    const { body, etag } = ctx.devices.listJson();
    res.set("ETag", etag).type("application/json").send(body);
  });

  r.get("/devices/:id", (req, res) => {
    const d = find(req.params.id);
    res.json(ctx.devices.get(d.id) ?? ctx.view.toDevice(d));
  });

  r.patch("/devices/:id/metadata", async (req, res) => {
    find(req.params.id);
    const patch = parseWith(DeviceMetadataPatch, req.body, "metadata");
    if (patch.pinnedVersion != null) parseWith(EsphomeVersion, patch.pinnedVersion, "pinnedVersion");
    const updated = await ctx.inventory.setMetadata(req.params.id, patch);
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
