// REST request and response bodies under /api/v1.
import { z } from "zod";
import { Device } from "./devices.js";
import { DeviceId, OtaAddress, Tag, WorkerId } from "./domain.js";
import { Job, JobAction, JobParams, JobPriority, JobState } from "./jobs.js";
import { Settings } from "./settings.js";
import { TrustPolicy } from "./trust-verdict.js";
import { KeyFingerprint, Worker, WorkerEnrolment, WorkerRole, WorkerToken } from "./workers.js";
import { EsphomeRelease } from "./notifications.js";

export const API_PREFIX = "/api/v1";

export const ErrorCode = z.enum([
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "precondition_required",
  "method_not_allowed",
  "misdirected_request",
  "payload_too_large",
  "unsupported_media_type",
  "too_many_requests",
  /** HTTP 426: plain HTTP from another machine; use https:// (and pin the sidecar's key). */
  "tls_required",
  /** HTTP 502: something the sidecar asked on your behalf (pip's package index) did not answer. */
  "bad_gateway",
  /** HTTP 507: the data folder's disk is full; nothing was written. Retry once space is free. */
  "disk_full",
  /** HTTP 507: free space is below the floor for new builds (`buildMinFreeDiskMb`); nothing was queued. */
  "disk_low",
  "internal",
  "unavailable",
]);
export const ErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * A condition that needs the operator while the sidecar keeps running (HA raises a repairs issue for each).
 * - `disk_full`: the data folder's file system is (nearly) full. Reads and the events stream keep working;
 *   new jobs and results are refused (HTTP 507 / "send again later" to workers) and dispatch is paused
 *   until space returns, which the sidecar notices by itself.
 */
export const HealthProblem = z.object({
  /**
   * - `insecure_transport`: started with `--insecure-transport`: workers and clients beyond this machine may
   *   talk plain HTTP, so worker tokens and every secret a build needs can cross the network in the clear.
   */
  code: z.enum(["disk_full", "insecure_transport"]),
  message: z.string(),
  /** When the condition began (ISO time). */
  since: z.string(),
});
export type HealthProblem = z.infer<typeof HealthProblem>;

export const HealthResponse = z.object({
  /** The sidecar answers; `problems` lists what needs attention. */
  status: z.literal("ok"),
  product: z.literal("Forge for ESPHome"),
  version: z.string(),
  apiVersion: z.literal(1),
  workerProtocolVersion: z.number().int(),
  /** Stable id of this sidecar installation (kept in its data folder), for discovery and HA unique ids. */
  instanceId: z.string(),
  problems: z.array(HealthProblem).default([]),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export const InfoResponse = HealthResponse.extend({
  startedAt: z.string(),
  configDir: z.string(),
  devices: z.number().int(),
  workersOnline: z.number().int(),
  queueDepth: z.number().int(),
  runningJobs: z.number().int(),
  totalSlots: z.number().int(),
  esphomeAvailable: z.boolean(),
  /** Free space on the data folder's file system, when the platform tells. */
  diskFreeBytes: z.number().int().nonnegative().nullable().optional(),
  /** A newer ESPHome release than the fleet builds with, when the periodic check found one. */
  esphomeRelease: EsphomeRelease.nullable().optional(),
});
export type InfoResponse = z.infer<typeof InfoResponse>;

/** Who the request is (GET /session): a Home Assistant user through HA's ingress, or nobody yet. */
export const SessionResponse = z.object({
  via: z.enum(["ingress", "none"]),
  user: z.object({ id: z.string(), name: z.string().nullable(), displayName: z.string().nullable() }).nullable(),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

export const DeviceList = z.object({ devices: z.array(Device) });

/** Which devices a job request is for. Exactly one of the forms. */
export const JobTargets = z.union([
  z.object({ devices: z.array(DeviceId).min(1).max(10_000) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
  z.object({ outdated: z.literal(true) }).strict(),
  z.object({ tags: z.array(Tag).min(1).max(64) }).strict(),
]);
export type JobTargets = z.infer<typeof JobTargets>;

export const CreateJobsRequest = z
  .object({
    action: JobAction,
    targets: JobTargets,
    priority: JobPriority.default("interactive"),
    params: JobParams.default({}),
    source: z.string().min(1).max(64).default("api"),
  })
  .strict();
export type CreateJobsRequest = z.input<typeof CreateJobsRequest>;

export const CreatedJob = z.object({
  jobId: z.number().int(),
  deviceId: DeviceId,
  /** True when an already-queued job for the same device and action was updated instead. */
  coalesced: z.boolean(),
});
export const CreateJobsResponse = z.object({
  jobs: z.array(CreatedJob),
  /** Targets that matched no device, or devices whose config cannot be read. */
  skipped: z.array(z.object({ deviceId: z.string(), reason: z.string() })),
});
export type CreateJobsResponse = z.infer<typeof CreateJobsResponse>;

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.split(",").filter(Boolean) : v), z.array(item));

export const JobListQuery = z
  .object({
    device: csv(DeviceId).optional(),
    state: csv(JobState).optional(),
    action: csv(JobAction).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** Return jobs with an id lower than this (keyset pagination, newest first). */
    before: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type JobListQuery = z.infer<typeof JobListQuery>;

export const JobList = z.object({ jobs: z.array(Job), nextBefore: z.number().int().nullable() });

export const JobLogQuery = z.object({ offset: z.coerce.number().int().min(0).default(0) }).strict();

export const DeviceStats = z.object({
  deviceId: DeviceId,
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  timedOut: z.number().int(),
  medianDurationMs: z.number().nullable(),
  lastSucceededAt: z.string().nullable(),
  lastFailedAt: z.string().nullable(),
});
export type DeviceStats = z.infer<typeof DeviceStats>;
export const DeviceStatsList = z.object({ stats: z.array(DeviceStats) });

export const WorkerList = z.object({ workers: z.array(Worker) });
/**
 * `slots` and `tags` are kept for the worker and sent to it (again at each reconnect). Setting `tags` locks
 * them; `tagsLocked: true` alone locks the tags it has now; `tagsLocked: false` lets its hello decide again.
 */
export const WorkerPatch = z
  .object({
    slots: z.number().int().min(0).max(32).optional(),
    tags: z.array(Tag).max(64).optional(),
    tagsLocked: z.boolean().optional(),
    /** Admin only: `["flasher"]` makes it a flasher (never builds), `["builder"]` a builder (the default). */
    roles: z.array(WorkerRole).min(1).max(2).optional(),
  })
  .strict()
  .refine((p) => !(p.tags !== undefined && p.tagsLocked === false), {
    message: "tags set by an admin are locked; send tagsLocked: false without tags to unlock",
  });

export const WorkerTokenList = z.object({ tokens: z.array(WorkerToken) });

/** A pairing code's text: `<id>_<secret>` (12 hex, 22 base64url), as it appears in a join link. */
export const PairingCode = z.string().regex(/^[0-9a-f]{12}_[A-Za-z0-9_-]{22}$/, "expected a pairing code");
/** POST /workers/pairing: a one-time code for `esphome-forge worker join`. */
export const PairingRequest = z
  .object({
    /** The host name or address workers reach this sidecar at (default: guessed from how it listens). */
    host: z.string().min(1).max(253).optional(),
  })
  .strict();
export const PairingResponse = z.object({
  code: PairingCode,
  expiresAt: z.string(),
  /** `forge://HOST:PORT/#CODE@FINGERPRINT` (no `@…` when the sidecar has no key of its own to pin). */
  link: z.string(),
  /** The one command to run on the worker machine, and the same as a container. */
  command: z.string(),
  containerCommand: z.string(),
  /** The sidecar's TLS key fingerprint the link pins (null: plain, `--insecure-transport`). */
  fingerprint: KeyFingerprint.nullable(),
});
export type PairingRequest = z.infer<typeof PairingRequest>;
export type PairingResponse = z.infer<typeof PairingResponse>;
/** POST /worker/join (authenticated by the pairing code, over the TLS session the proof is bound to). */
export const JoinRequest = z
  .object({
    code: PairingCode,
    workerId: WorkerId,
    name: z.string().min(1).max(128),
    /** The worker's new P-256 key (SPKI PEM) and its signature over `joinProofText(codeId, workerId, channel)`. */
    publicKey: z.string().max(4096),
    proof: z.string().max(512),
  })
  .strict();
export const JoinResponse = z.object({
  workerId: WorkerId,
  /** The worker's credential: a token bound to this worker id and key (kept 0600 in its state folder). */
  token: z.string(),
  enrolment: WorkerEnrolment,
  keyFingerprint: KeyFingerprint,
});
export type JoinResponse = z.infer<typeof JoinResponse>;
export type JoinRequest = z.infer<typeof JoinRequest>;
/** POST /workers/:id/approve: the fingerprint the admin compared (refused when it is not the pending key's). */
export const ApproveWorkerRequest = z.object({ fingerprint: KeyFingerprint.optional() }).strict();
export const RevokeWorkerRequest = z.object({ reason: z.string().min(1).max(1024) }).strict();
/** The sidecar's own TLS certificate (GET /tls, POST /tls/rotate). */
export const TlsInfo = z.object({
  /** `self-signed`: its own key, pinned by fingerprint; `provided`: --tls-cert/--tls-key, CA-verified. */
  mode: z.enum(["self-signed", "provided"]),
  fingerprint: KeyFingerprint,
  notAfter: z.string(),
  /** Plain HTTP is accepted from other machines too (`--insecure-transport`). */
  insecureTransport: z.boolean(),
});
export type TlsInfo = z.infer<typeof TlsInfo>;
export const CreateWorkerTokenRequest = z.object({ name: z.string().min(1).max(128) }).strict();
export const CreateWorkerTokenResponse = z.object({
  token: WorkerToken,
  /** Shown exactly once; only its hash is stored. */
  secret: z.string(),
});

export const DeviceMetadataPatch = z
  .object({
    pinnedVersion: z.string().nullable().optional(),
    tags: z.array(Tag).max(64).optional(),
    /** Learned identity, e.g. from the ESPHome integration in Home Assistant. */
    mac: z
      .string()
      .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/)
      .nullable()
      .optional(),
    address: OtaAddress.nullable().optional(),
    /** Per-device content-trust policy (null = the fleet's `trustPolicy`). */
    trustPolicy: TrustPolicy.nullable().optional(),
  })
  .strict();

export const SettingsResponse = z.object({ settings: Settings });

/** POST /workers/:id/clean-cache: one device's build folder, or (no device) every idle one. */
export const CleanCacheQuery = z.object({ device: DeviceId.optional() });

// ---- path parameters ---------------------------------------------------------------------------
// Each route's `:params` are parsed with these (the route table names them per route), and the
// OpenAPI document types them from the same schemas.

/** A positive integer in a path (a job id): digits only, no sign, no leading zero, exact in JSON. */
export const PositiveIntParam = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, "expected a positive integer")
  .meta({ type: "integer", minimum: 1 })
  .transform(Number);
/** A non-negative integer in a path (a transparency-log index). */
export const IndexParam = z
  .string()
  .regex(/^(?:0|[1-9][0-9]{0,14})$/, "expected a non-negative integer")
  .meta({ type: "integer", minimum: 0 })
  .transform(Number);
/** A worker token's id (the `<id>` of `efw_<id>_<secret>`). */
export const WorkerTokenId = z.string().regex(/^[0-9a-f]{12}$/, "expected a worker token id (12 hex characters)");
/** A signing key's hint: base64 of the sha256 of its SPKI (percent-encode `/` and `+` in a path). */
export const KeyHint = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "expected a key hint (base64 sha256)");
/** The file name of one of a job's firmware images. */
export const FirmwareName = z.string().min(1).max(128);
