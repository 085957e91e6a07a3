import { Router, type Response } from "express";
import { CreateJobsRequest, JobListQuery, JobLogQuery } from "@esphome-forge/shared";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { intParam, parseWith } from "../validate.js";

export function jobRoutes(ctx: ApiContext): Router {
  const r = Router();
  const find = (raw: string) => {
    const id = intParam(raw, "job id");
    const job = ctx.queue.get(id);
    if (!job) throw new HttpError(404, "not_found", `no job with id ${id}`);
    return job;
  };

  r.post("/jobs", async (req, res) => {
    const body = parseWith(CreateJobsRequest, req.body, "job request");
    const result = await ctx.jobs.create(body);
    res.status(result.jobs.length > 0 ? 201 : 200).json(result);
  });

  r.get("/jobs", (req, res) => {
    res.json(ctx.queue.list(parseWith(JobListQuery, req.query, "query")));
  });

  r.get("/jobs/:id", (req, res) => {
    res.json(find(req.params.id));
  });

  r.get("/jobs/:id/log", (req, res) => {
    const job = find(req.params.id);
    const { offset } = parseWith(JobLogQuery, req.query, "query");
    const log = ctx.queue.readLog(job.id, offset);
    res
      .type("text/plain; charset=utf-8")
      .set("X-Log-Start-Offset", String(log.startOffset))
      .set("X-Log-End-Offset", String(log.endOffset))
      .set("X-Log-Truncated", String(log.truncatedBefore))
      .send(log.text);
  });

  r.post("/jobs/:id/cancel", (req, res) => {
    res.json(ctx.jobs.cancel(find(req.params.id).id));
  });

  r.post("/jobs/:id/retry", (req, res) => {
    res.status(201).json(ctx.jobs.retry(find(req.params.id).id, "retry"));
  });

  r.get("/jobs/:id/firmware/:name", (req, res) => {
    const job = find(req.params.id);
    const image = job.firmware.find((f) => f.name === req.params.name);
    if (!image) throw new HttpError(404, "not_found", `job ${job.id} has no firmware named ${req.params.name}`);
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
