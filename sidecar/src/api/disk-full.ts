// While the data folder's disk is full: every request that would write (POST, PUT, PATCH) is refused
// with 507 `disk_full` and a Retry-After before anything runs, so a new job is never half-created.
// Reads, the events stream and DELETE (which may free space) go on.
import type { RequestHandler } from "express";
import type { DiskState } from "../durability/disk-state.js";
import { HttpError } from "./errors.js";

const WRITES = new Set(["POST", "PUT", "PATCH"]);

export function refuseWritesWhileDiskFull(disk: Pick<DiskState, "full" | "message" | "retryAfterMs">): RequestHandler {
  return (req, res, next) => {
    if (!disk.full || !WRITES.has(req.method)) return next();
    res.set("Retry-After", String(Math.ceil(disk.retryAfterMs / 1000)));
    next(new HttpError(507, "disk_full", disk.message()));
  };
}
