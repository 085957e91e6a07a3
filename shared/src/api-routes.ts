// The REST route table: one place that names every route with its request and response schemas.
// The sidecar validates against these, and the OpenAPI document is generated from them.
import { z } from "zod";
import {
  CleanCacheQuery,
  CreateJobsRequest,
  CreateJobsResponse,
  CreateWorkerTokenRequest,
  CreateWorkerTokenResponse,
  DeviceList,
  DeviceMetadataPatch,
  DeviceStatsList,
  ErrorBody,
  HealthResponse,
  InfoResponse,
  JobList,
  JobListQuery,
  JobLogQuery,
  SettingsResponse,
  WorkerList,
  WorkerPatch,
  WorkerTokenList,
} from "./api.js";
import { Device, Job, SettingsPatch, Worker } from "./domain.js";
import {
  ApprovalQuery,
  ExternalFirmwareResponse,
  ExternalFirmwareUpload,
  ExternalSigners,
  LogCheckpointResponse,
  LogProofResponse,
  RevocationImportResponse,
  RevocationListResponse,
  RevokeRequest,
  RotateKeyRequest,
  RotateKeyResponse,
  TrustKey,
  TrustKeyList,
  TrustStatus,
  TrustStatusQuery,
} from "./trust-api.js";

export interface RouteSpec {
  method: "get" | "post" | "patch" | "delete" | "put";
  /** Express-style path below /api/v1, e.g. `/jobs/:id`. */
  path: string;
  summary: string;
  auth: boolean;
  query?: z.ZodType;
  body?: z.ZodType;
  /** JSON response schema, or a media type for non-JSON responses. */
  response: z.ZodType | { mediaType: string; description: string };
  tag: string;
}

const ok = z.object({ ok: z.literal(true) });

export const ROUTES: RouteSpec[] = [
  { method: "get", path: "/health", summary: "Liveness and versions", auth: false, response: HealthResponse, tag: "system" },
  { method: "get", path: "/info", summary: "Sidecar summary", auth: true, response: InfoResponse, tag: "system" },
  { method: "get", path: "/openapi.json", summary: "This document", auth: false, response: { mediaType: "application/json", description: "OpenAPI 3.1 document" }, tag: "system" },
  { method: "get", path: "/devices", summary: "List devices", auth: true, response: DeviceList, tag: "devices" },
  { method: "get", path: "/devices/:id", summary: "Get one device", auth: true, response: Device, tag: "devices" },
  { method: "patch", path: "/devices/:id/metadata", summary: "Set a device's pinned ESPHome version and tags (written to its metadata block)", auth: true, body: DeviceMetadataPatch, response: Device, tag: "devices" },
  { method: "get", path: "/stats/devices", summary: "Per-device job statistics", auth: true, response: DeviceStatsList, tag: "devices" },
  { method: "post", path: "/jobs", summary: "Queue jobs for one device or many", auth: true, body: CreateJobsRequest, response: CreateJobsResponse, tag: "jobs" },
  { method: "get", path: "/jobs", summary: "List and filter jobs (newest first)", auth: true, query: JobListQuery, response: JobList, tag: "jobs" },
  { method: "get", path: "/jobs/:id", summary: "Get one job", auth: true, response: Job, tag: "jobs" },
  { method: "get", path: "/jobs/:id/log", summary: "The job's stored log (text, ANSI colours kept)", auth: true, query: JobLogQuery, response: { mediaType: "text/plain", description: "Log text from the given byte offset" }, tag: "jobs" },
  { method: "post", path: "/jobs/:id/cancel", summary: "Cancel a queued or running job", auth: true, response: Job, tag: "jobs" },
  { method: "post", path: "/jobs/:id/retry", summary: "Queue a finished job again with the same parameters", auth: true, response: CreateJobsResponse, tag: "jobs" },
  { method: "get", path: "/jobs/:id/firmware/:name", summary: "Download a firmware image built by a job", auth: true, response: { mediaType: "application/octet-stream", description: "Firmware bytes" }, tag: "firmware" },
  { method: "get", path: "/firmware/:sha256", summary: "Download firmware by digest", auth: true, response: { mediaType: "application/octet-stream", description: "Firmware bytes" }, tag: "firmware" },
  { method: "get", path: "/workers", summary: "List workers", auth: true, response: WorkerList, tag: "workers" },
  { method: "patch", path: "/workers/:id", summary: "Change a worker's slots or tags", auth: true, body: WorkerPatch, response: Worker, tag: "workers" },
  { method: "post", path: "/workers/:id/clean-cache", summary: "Ask a worker to clear its build cache (one device with ?device=, else all; folders in use are kept)", auth: true, query: CleanCacheQuery, response: ok, tag: "workers" },
  { method: "get", path: "/worker-tokens", summary: "List worker tokens", auth: true, response: WorkerTokenList, tag: "workers" },
  { method: "post", path: "/worker-tokens", summary: "Create a worker token (the secret is shown once)", auth: true, body: CreateWorkerTokenRequest, response: CreateWorkerTokenResponse, tag: "workers" },
  { method: "delete", path: "/worker-tokens/:id", summary: "Revoke a worker token and disconnect its workers", auth: true, response: ok, tag: "workers" },
  { method: "get", path: "/settings", summary: "Current settings", auth: true, response: SettingsResponse, tag: "settings" },
  { method: "patch", path: "/settings", summary: "Change settings", auth: true, body: SettingsPatch, response: SettingsResponse, tag: "settings" },
  { method: "get", path: "/trust/root", summary: "The trusted root (Sigstore trusted_root.json) for offline verification", auth: true, response: { mediaType: "application/json", description: "trusted_root.json" }, tag: "trust" },
  { method: "get", path: "/trust/keys", summary: "Enrolled signing keys (workers, sidecar, log, revocation)", auth: true, response: TrustKeyList, tag: "trust" },
  { method: "get", path: "/trust/status", summary: "Trust policy, revocation list freshness and the log's consistency check (recheck=true runs it now)", auth: true, query: TrustStatusQuery, response: TrustStatus, tag: "trust" },
  { method: "post", path: "/trust/keys/rotate", summary: "Rotate the sidecar's signing, log or revocation key (the old key is retired; its signatures stay valid)", auth: true, body: RotateKeyRequest, response: RotateKeyResponse, tag: "trust" },
  { method: "post", path: "/trust/keys/:hint/retire", summary: "Retire a key (e.g. a reinstalled worker's old key); its old signatures stay valid", auth: true, response: TrustKey, tag: "trust" },
  { method: "get", path: "/trust/revocations", summary: "Export the current signed revocation list", auth: true, response: RevocationListResponse, tag: "trust" },
  { method: "post", path: "/trust/revocations", summary: "Revoke artifacts, signer keys, workers, ESPHome version ranges or config digests (publishes a new list version)", auth: true, body: RevokeRequest, response: RevocationListResponse, tag: "trust" },
  { method: "post", path: "/trust/revocations/import", summary: "Import a signed revocation list (verified with a pinned revocation key; lower versions are refused)", auth: true, body: z.record(z.string(), z.unknown()), response: RevocationImportResponse, tag: "trust" },
  { method: "get", path: "/trust/log/checkpoint", summary: "The latest signed checkpoint of the transparency log", auth: true, response: LogCheckpointResponse, tag: "trust" },
  { method: "get", path: "/trust/log/proof/:index", summary: "Inclusion proof for a log entry (for `esphome-forge verify --proof`)", auth: true, response: LogProofResponse, tag: "trust" },
  { method: "get", path: "/trust/external-signers", summary: "The explicit policy for firmware signed outside Forge (cosign keys, keyless CI identities)", auth: true, response: ExternalSigners, tag: "trust" },
  { method: "put", path: "/trust/external-signers", summary: "Replace the external-signer policy (every device's trust is re-evaluated and announced)", auth: true, body: ExternalSigners, response: ExternalSigners, tag: "trust" },
  { method: "post", path: "/trust/external-firmware", summary: "Upload a CI-built firmware (base64, up to 16 MB) with its Sigstore bundle for one device; answers its verdict. Flash it with an `upload` job naming its sha256", auth: true, body: ExternalFirmwareUpload, response: ExternalFirmwareResponse, tag: "trust" },
  { method: "get", path: "/trust/approvals/:sha256", summary: "The sidecar's approval bundle for a firmware digest (for `esphome-forge verify --bundle`)", auth: true, query: ApprovalQuery, response: { mediaType: "application/json", description: "Sigstore bundle v0.3" }, tag: "trust" },
];

export { ErrorBody };
