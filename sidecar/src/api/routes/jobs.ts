import { Router, type Response } from "express";
import { CreateJobsRequest, type JobListQuery } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";

export function jobRoutes(ctx: ApiContext): Router {
  const r = Router();
  /** The job named by the path (its id parsed by the route table's schema). */
  const find = (res: Response) => {
    const { id } = routeParams<{ id: number }>(res);
    const job = ctx.queue.get(id);
    if (!job) throw new HttpError(404, "not_found", `no job with id ${id}`);
    return job;
  };

  r.post("/jobs", async (req, res) => {
    const body = parseWith(CreateJobsRequest, req.body, "job request");
    const result = await ctx.jobs.create(body);
    res.status(result.jobs.length > 0 ? 201 : 200).json(result);
  });

  r.get("/jobs", (_req, res) => {
    res.json(ctx.queue.list(routeQuery<JobListQuery>(res)));
  });

  r.get("/jobs/:id", (_req, res) => {
    res.json(find(res));
  });

  r.get("/jobs/:id/log", (_req, res) => {
    const job = find(res);
    const { offset } = routeQuery<{ offset: number }>(res);
    const log = ctx.queue.readLog(job.id, offset);
    res
      .type("text/plain; charset=utf-8")
      .set("X-Log-Start-Offset", String(log.startOffset))
      .set("X-Log-End-Offset", String(log.endOffset))
      .set("X-Log-Truncated", String(log.truncatedBefore))
      .send(log.text);
  });

  r.post("/jobs/:id/cancel", (_req, res) => {
    res.json(ctx.jobs.cancel(find(res).id));
  });

  r.post("/jobs/:id/retry", (_req, res) => {
    res.status(201).json(ctx.jobs.retry(find(res).id, "retry"));
  });

  r.get("/jobs/:id/firmware/:name", (_req, res) => {
    const job = find(res);
    const { name } = routeParams<{ name: string }>(res);
    const image = job.firmware.find((f) => f.name === name);
    if (!image) throw new HttpError(404, "not_found", `job ${job.id} has no firmware named ${name}`);
    sendFirmware(ctx, res, image.sha256, image.name);
  });
  return r;
}

export function sendFirmware(ctx: ApiContext, res: Response, sha256: string, name: string): void {
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new HttpError(400, "bad_request", "firmware digest must be 64 lowercase hex characters");
  if (!ctx.firmware.has(sha256))
    throw new HttpError(404, "not_found", `no firmware with digest ${sha256} in the archive`);
  res
    .type("application/octet-stream")
    .set("Content-Disposition", `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`)
    .set("X-Firmware-Sha256", sha256)
    .sendFile(ctx.firmware.path(sha256));
}
