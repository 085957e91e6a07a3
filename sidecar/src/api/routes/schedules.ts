// Schedules over REST: list, create, change, delete, their run history and "run now". The
// scheduler (schedules/scheduler.ts) owns the timing; this only validates and maps errors.
import { Router } from "express";
import { ScheduleCreate, SchedulePatch, type ScheduleTarget } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";

export function scheduleRoutes(ctx: ApiContext): Router {
  const r = Router();
  const scheduler = () => {
    if (!ctx.schedules) throw new HttpError(404, "not_found", "schedules are not available on this sidecar");
    return ctx.schedules;
  };
  const id = (res: Parameters<typeof routeParams>[0]) => routeParams<{ id: number }>(res).id;
  /** A device target must name a device the sidecar knows (a tag may be given to devices later). */
  const checkTarget = (target: ScheduleTarget | undefined) => {
    if (target?.kind === "device" && !ctx.inventory.get(target.deviceId))
      throw new HttpError(400, "bad_request", `target.deviceId: no device ${target.deviceId}`);
  };

  r.get("/schedules", (_req, res) => {
    res.json({ schedules: scheduler().list() });
  });
  r.post("/schedules", (req, res) => {
    const body = parseWith(ScheduleCreate, req.body, "schedule");
    checkTarget(body.target);
    res.status(201).json(scheduler().create(body));
  });
  r.get("/schedules/:id", (_req, res) => {
    res.json(scheduler().get(id(res)));
  });
  r.patch("/schedules/:id", (req, res) => {
    const patch = parseWith(SchedulePatch, req.body, "schedule patch");
    checkTarget(patch.target);
    res.json(scheduler().update(id(res), patch));
  });
  r.delete("/schedules/:id", (_req, res) => {
    scheduler().remove(id(res));
    res.json({ ok: true });
  });
  r.get("/schedules/:id/runs", (_req, res) => {
    const { limit } = routeQuery<{ limit: number }>(res);
    res.json({ runs: scheduler().runs(id(res), limit) });
  });
  r.post("/schedules/:id/run", async (_req, res) => {
    res.status(201).json(await scheduler().runNow(id(res)));
  });
  return r;
}
