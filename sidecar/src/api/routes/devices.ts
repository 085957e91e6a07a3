import { Router } from "express";
import { DeviceMetadataPatch, EsphomeVersion } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";
import { requestActor } from "./workspace.js";

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

  r.get("/devices", (_req, res) => {
    res.json({ devices: ctx.inventory.list().map((d) => ctx.view.toDevice(d)) });
  });

  r.get("/devices/:id", (req, res) => {
    res.json(ctx.view.toDevice(find(req.params.id)));
  });

  r.patch("/devices/:id/metadata", async (req, res) => {
    find(req.params.id);
    const patch = parseWith(DeviceMetadataPatch, req.body, "metadata");
    if (patch.pinnedVersion != null) parseWith(EsphomeVersion, patch.pinnedVersion, "pinnedVersion");
    const apply = () => ctx.inventory.setMetadata(req.params.id, patch);
    // With config history on, the change is one commit by the requesting user.
    const updated = ctx.workspace
      ? await ctx.workspace.ops.metadata(req.params.id, describePatch(patch), apply, requestActor(req))
      : await apply();
    res.json(ctx.view.toDevice(updated));
  });

  r.get("/stats/devices", (_req, res) => {
    res.json({ stats: ctx.queue.stats() });
  });
  return r;
}
