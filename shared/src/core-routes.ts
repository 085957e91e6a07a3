// The system, device and job routes of the route table (shared/src/api-routes.ts): liveness and
// versions, the device inventory, the job queue and the firmware it built.
import { z } from "zod";
import {
  DeviceList,
  DeviceMetadataPatch,
  DeviceStatsList,
  FirmwareName,
  HealthResponse,
  InfoResponse,
  JobList,
  JobListQuery,
  JobLogQuery,
  PositiveIntParam,
  SessionResponse,
  CreateJobsRequest,
  CreateJobsResponse,
} from "./api.js";
import { Device } from "./devices.js";
import { DeviceId } from "./domain.js";
import { Job } from "./jobs.js";
import { PresenceReport } from "./presence.js";
import { sha256Params, type RouteSpec } from "./route-spec.js";

const jobIdParams = z.object({ id: PositiveIntParam });

export const SYSTEM_ROUTES: RouteSpec[] = [
  {
    method: "get",
    path: "/health",
    summary: "Liveness and versions",
    auth: false,
    response: HealthResponse,
    tag: "system",
  },
  { method: "get", path: "/info", summary: "Sidecar summary", auth: true, response: InfoResponse, tag: "system" },
  {
    method: "get",
    path: "/session",
    summary: "How this request is signed in: through Home Assistant's ingress (with the HA user) or not at all",
    auth: false,
    response: SessionResponse,
    tag: "system",
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics: queue depth, workers and slots, job durations, dispatch latency, content trust",
    auth: true,
    metrics: true,
    response: { mediaType: "text/plain; version=0.0.4", description: "Prometheus text exposition format" },
    tag: "system",
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    auth: false,
    response: { mediaType: "application/json", description: "OpenAPI 3.1 document" },
    tag: "system",
  },
];

export const DEVICE_ROUTES: RouteSpec[] = [
  { method: "get", path: "/devices", summary: "List devices", auth: true, response: DeviceList, tag: "devices" },
  {
    method: "get",
    path: "/devices/:id",
    params: z.object({ id: DeviceId }),
    summary: "Get one device",
    auth: true,
    response: Device,
    tag: "devices",
  },
  {
    method: "patch",
    path: "/devices/:id/metadata",
    params: z.object({ id: DeviceId }),
    summary: "Set a device's pinned ESPHome version and tags (written to its metadata block, one commit)",
    auth: true,
    body: DeviceMetadataPatch,
    response: Device,
    tag: "devices",
  },
  {
    method: "put",
    path: "/devices/:id/presence",
    params: z.object({ id: DeviceId }),
    summary:
      "Report what Home Assistant's ESPHome integration knows about a device (connection state, versions); " +
      "counts for 15 minutes, mDNS wins while it hears the device",
    auth: true,
    body: PresenceReport,
    response: Device,
    tag: "devices",
  },
  {
    method: "get",
    path: "/stats/devices",
    summary: "Per-device job statistics",
    auth: true,
    response: DeviceStatsList,
    tag: "devices",
  },
];

/** The job queue, and the firmware its jobs built (by job or by digest). */
export const JOB_ROUTES: RouteSpec[] = [
  {
    method: "post",
    path: "/jobs",
    summary:
      "Queue jobs for one device or many. A `params.workerId` no worker ever used is refused (400); a known " +
      "worker that is offline, or worker tags no online worker has, leave the job `blocked` with `blockedReason` " +
      "until a worker can take it",
    auth: true,
    body: CreateJobsRequest,
    response: CreateJobsResponse,
    statuses: {
      201: "At least one job was queued (or an already queued job updated: `coalesced`)",
      200: "Nothing was queued: every target is in `skipped`",
    },
    tag: "jobs",
  },
  {
    method: "get",
    path: "/jobs",
    summary: "List and filter jobs (newest first)",
    auth: true,
    query: JobListQuery,
    response: JobList,
    tag: "jobs",
  },
  {
    method: "get",
    path: "/jobs/:id",
    params: jobIdParams,
    summary: "Get one job",
    auth: true,
    response: Job,
    tag: "jobs",
  },
  {
    method: "get",
    path: "/jobs/:id/log",
    params: jobIdParams,
    summary: "The job's stored log (text, ANSI colours kept)",
    auth: true,
    query: JobLogQuery,
    response: { mediaType: "text/plain", description: "Log text from the given byte offset" },
    tag: "jobs",
  },
  {
    method: "post",
    path: "/jobs/:id/cancel",
    params: jobIdParams,
    summary: "Cancel a queued or running job",
    auth: true,
    response: Job,
    tag: "jobs",
  },
  {
    method: "post",
    path: "/jobs/:id/retry",
    params: jobIdParams,
    statuses: { 201: "The job was queued again (or an already queued twin updated)" },
    summary: "Queue a finished job again with the same parameters",
    auth: true,
    response: CreateJobsResponse,
    tag: "jobs",
  },
  {
    method: "get",
    path: "/jobs/:id/firmware/:name",
    params: z.object({ id: PositiveIntParam, name: FirmwareName }),
    summary: "Download a firmware image built by a job",
    auth: true,
    response: { mediaType: "application/octet-stream", description: "Firmware bytes" },
    tag: "firmware",
  },
  {
    method: "get",
    path: "/firmware/:sha256",
    params: sha256Params,
    summary: "Download firmware by digest",
    auth: true,
    workers: true,
    response: { mediaType: "application/octet-stream", description: "Firmware bytes" },
    tag: "firmware",
  },
];
