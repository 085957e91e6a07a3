// The build-worker protocol, spoken over the WebSocket at /api/v1/worker.
// Text frames carry one JSON message each; a binary frame carries the bytes announced by the
// `firmware` message that immediately precedes it on the same socket.
import { z } from "zod";
import { DeviceId, Sha256Hex, Tag, WorkerId } from "./domain.js";
import { FirmwareImage, JobAction, JobParams, JobPhase, ValidationError } from "./jobs.js";
import { TrustVerdict } from "./trust-verdict.js";
import { WorkerSystem } from "./workers.js";

/**
 * Bumped on any incompatible change. A worker speaking another version is refused with both numbers named.
 * 2: fences are random tokens (strings); hello proves the signing key (`challenge` → `proof`); `abandon`
 * for jobs the worker does not hold; heartbeats carry the worker's slot count; every list is bounded; log
 * chunks carry sequence numbers and are acknowledged (`log_ack`); `ack`, `approval` and `log_ack` can say
 * "later" (`retryAfterMs`).
 * 3: the key proof is bound to the TLS session (`challenge.binding`, `helloProofText` v2); a worker waiting
 * for the admin's decision is told so (`pending`); key rotation (`hello.nextKey`, `welcome.trust.keyHint`);
 * the sidecar announces its next TLS key before it rotates (`server_key`).
 */
export const WORKER_PROTOCOL_VERSION = 3;

/**
 * Largest text message either side sends (a log chunk of 1 Mi characters, JSON-escaped, fits). Checked on
 * the frame's byte length before it is parsed, so an oversized message costs nothing to refuse.
 */
export const MAX_WORKER_TEXT_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Jobs one worker may hold at once (running, or finished with the result not yet acknowledged). */
export const MAX_HELD_JOBS = 256;

/** Close codes used on the worker socket (4000–4999 are application codes). */
export const WorkerCloseCode = {
  protocolMismatch: 4001,
  /** The worker's version is older than MIN_WORKER_VERSION (worker-version.ts): upgrade it. */
  outdated: 4002,
  unauthorized: 4003,
  invalidMessage: 4004,
  replaced: 4009,
  shuttingDown: 4010,
  /** No heartbeat for a whole lease: the sidecar counts the worker as lost (its jobs go elsewhere). */
  unresponsive: 4011,
  /** The admin approved the worker's next key: reconnect now and sign with it. */
  keyRotated: 4012,
} as const;

/**
 * The fencing token of one assignment of a job: 128 random bits (base64url), new for every assignment,
 * so it cannot be guessed. It proves nothing on its own: the sidecar honours a message about a job only
 * from the worker that holds the job, with the fence of that assignment.
 */
export const Fence = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "a fence is a random base64url token");
export type Fence = z.infer<typeof Fence>;

/** Identifies one assignment of a job. */
const JobRef = { jobId: z.number().int().positive(), fence: Fence };
const JobRefList = z.array(z.object(JobRef)).max(MAX_HELD_JOBS);
const VersionList = z.array(z.string().max(64)).max(64);

/**
 * What a key proof is bound to: `tls-exporter` — keying material exported from this very TLS session
 * (RFC 5705/8446, label `TLS_PROOF_LABEL`), so a proof made on one connection is worthless on another (a
 * relayed handshake, a stolen token); `none` — a plain connection (loopback, or `--insecure-transport`).
 */
export const ProofBinding = z.enum(["tls-exporter", "none"]);
export type ProofBinding = z.infer<typeof ProofBinding>;
export const TLS_PROOF_LABEL = "EXPORTER-esphome-forge-key-proof";
export const TLS_PROOF_BYTES = 32;

/**
 * The text (signed as UTF-8) by which a worker proves, at each connection, that it holds its key (see
 * `challenge`). `channel` is the TLS session's exported keying material (base64url), or `none` on a plain
 * connection.
 */
export function helloProofText(workerId: string, nonce: string, channel: string): string {
  return `esphome-forge worker hello proof v2\n${workerId}\n${nonce}\n${channel}`;
}

/** The text a joining worker signs with its new key: the pairing code's id, its worker id, the TLS channel. */
export function joinProofText(codeId: string, workerId: string, channel: string): string {
  return `esphome-forge worker join proof v1\n${codeId}\n${workerId}\n${channel}`;
}

// ---- worker → sidecar -------------------------------------------------------------------------

export const HelloMessage = z.object({
  type: z.literal("hello"),
  protocolVersion: z.number().int(),
  /** Stable id the worker keeps across restarts (stored in its state folder). */
  workerId: WorkerId,
  name: z.string().min(1).max(128),
  version: z.string().max(64),
  slots: z.number().int().min(0).max(32),
  tags: z.array(Tag).max(64),
  platform: z.string().max(64),
  system: WorkerSystem,
  esphomeVersions: VersionList.default([]),
  /** Devices whose last build on this worker completed (a warm cache; used for affinity after a sidecar restart). */
  warmDevices: z.array(DeviceId).max(10_000).default([]),
  /** Jobs this worker is still running (after a reconnect): the sidecar tells it which to continue. */
  runningJobs: JobRefList.default([]),
  /**
   * The worker's P-256 public key (SPKI PEM): it signs build provenance and proves the worker's identity.
   * Enrolled for the worker id on first use; afterwards every hello must prove it (`challenge` → `proof`).
   */
  signingKey: z.string({ error: "every worker announces its P-256 signing key (SPKI PEM)" }).max(4096),
  /**
   * A key the worker wants to move to (`esphome-forge worker rotate-key`), with its own proof over the same
   * challenge (sent in `proof.nextSignature`). It waits for the admin; once approved, `welcome.trust.keyHint`
   * names it and the worker signs with it from then on. The worker id and its history stay.
   */
  nextKey: z.string().max(4096).optional(),
  /** Free bytes in the worker's state folder (builds, caches); dispatch skips a worker low on space. */
  diskFreeBytes: z.number().int().nonnegative().optional(),
});
export type HelloMessage = z.infer<typeof HelloMessage>;

/** The answer to `challenge`: the worker's signature over `helloProofText(workerId, nonce, channel)`. */
export const ProofMessage = z.object({
  type: z.literal("proof"),
  /** ECDSA P-256 / SHA-256, DER, base64. */
  signature: z.string().max(512),
  /** The same text signed with `hello.nextKey`, when the hello announced one. */
  nextSignature: z.string().max(512).optional(),
});

export const HeartbeatMessage = z.object({
  type: z.literal("heartbeat"),
  /** Every job the worker is running: renews the lease of each it holds; the others occupy its slots. */
  runningJobs: JobRefList,
  /** How many jobs the worker takes at once right now (after any `configure`). */
  slots: z.number().int().min(0).max(32).optional(),
  esphomeVersions: VersionList.optional(),
  /** Free bytes in the worker's state folder now (optional: older workers do not send it). */
  diskFreeBytes: z.number().int().nonnegative().optional(),
});

export const StartedMessage = z.object({ type: z.literal("started"), ...JobRef, phase: JobPhase });

/**
 * Build output. Chunks of one assignment are numbered 1, 2, 3, …; the worker keeps each until a `log_ack`
 * covers it and sends the unacknowledged ones again after a reconnect, so the sidecar drops repeats and
 * writes a gap marker only where output is truly lost.
 */
export const LogMessage = z.object({
  type: z.literal("log"),
  ...JobRef,
  seq: z.number().int().positive(),
  /**
   * The oldest chunk the worker still holds: every chunk below it was acknowledged or dropped by the
   * worker's offline cap. Chunks between the sidecar's last stored one and this one are lost for good.
   */
  keptFrom: z.number().int().positive(),
  /** Raw text as the build printed it, ANSI colours included. */
  chunk: z.string().max(1024 * 1024),
});

export const ProgressMessage = z.object({
  type: z.literal("progress"),
  ...JobRef,
  phase: JobPhase,
  percent: z.number().min(0).max(100).nullable(),
});

/** Announces one firmware image; the next frame on the socket is a binary frame with exactly its bytes. */
export const FirmwareMessage = z.object({
  type: z.literal("firmware"),
  ...JobRef,
  image: FirmwareImage,
});

export const ResultMessage = z.object({
  type: z.literal("result"),
  ...JobRef,
  outcome: z.enum(["succeeded", "failed", "cancelled"]),
  phase: JobPhase.nullable(),
  error: z.string().max(4096).nullable(),
  firmware: z.array(FirmwareImage).max(16),
  esphomeVersion: z.string().max(64).nullable(),
  durationMs: z.number().int().nonnegative(),
  /** Structured validation errors (validate jobs). */
  validationErrors: z
    .array(ValidationError.extend({ file: z.string().max(512).nullable(), message: z.string().max(4096) }))
    .max(500)
    .optional(),
  /** The worker's signed build provenance (Sigstore bundle JSON) over the firmware it sends. */
  provenance: z
    .string()
    .max(1024 * 1024)
    .optional(),
});
export type ResultMessage = z.infer<typeof ResultMessage>;

/**
 * The worker gives a job back without a result (SIGTERM before it could finish, or no free slot). A job
 * handed back before it started costs no attempt: the sidecar's slot count was wrong, not the job.
 */
export const ReleaseMessage = z.object({ type: z.literal("release"), ...JobRef, reason: z.string().max(1024) });

/**
 * compile_upload, between compile and upload: the signed provenance of the images just sent (as
 * `firmware` + binary frames). The worker flashes only after the sidecar's `approval` allows it.
 */
export const ProvenanceMessage = z.object({
  type: z.literal("provenance"),
  ...JobRef,
  bundle: z.string().max(1024 * 1024),
});

export const WorkerToSidecar = z.discriminatedUnion("type", [
  ProvenanceMessage,
  HelloMessage,
  ProofMessage,
  HeartbeatMessage,
  StartedMessage,
  LogMessage,
  ProgressMessage,
  FirmwareMessage,
  ResultMessage,
  ReleaseMessage,
]);
export type WorkerToSidecar = z.infer<typeof WorkerToSidecar>;

// ---- sidecar → worker -------------------------------------------------------------------------

export const WelcomeMessage = z.object({
  type: z.literal("welcome"),
  protocolVersion: z.number().int(),
  workerId: z.string(),
  leaseMs: z.number().int().positive(),
  heartbeatMs: z.number().int().positive(),
  /** Of the jobs named in hello: keep running these… */
  continueJobs: z.array(z.object(JobRef)),
  /** …and stop these (the sidecar gave them to someone else or they were cancelled). */
  abandonJobs: z.array(z.object(JobRef)),
  /** Content trust: when present, the worker asks for an `approval` before every compile_upload flash. */
  trust: z
    .object({
      gate: z.boolean(),
      sidecarKey: z.string(),
      keyEnrolled: z.boolean(),
      /** The hint of the worker's key the sidecar holds it to (the next key once its rotation is approved). */
      keyHint: z.string().optional(),
      /** Where the key in `hello.nextKey` stands. */
      nextKey: z.enum(["pending", "rejected"]).optional(),
    })
    .optional(),
});

/**
 * After hello: the worker proves it holds the key it announced by signing `helloProofText(workerId, nonce,
 * channel)` (answer: `proof`). `binding` says what `channel` is; a worker that pinned the sidecar's key
 * refuses anything but `tls-exporter`.
 */
export const ChallengeMessage = z.object({
  type: z.literal("challenge"),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/),
  binding: ProofBinding,
});

/**
 * The worker proved its key, but the admin has not decided yet (a new worker, or a new key under a known
 * one). The socket stays open and carries nothing else until the decision: approval → `welcome`,
 * rejection → close 4003 with the reason.
 */
export const PendingMessage = z.object({
  type: z.literal("pending"),
  /** The fingerprint the admin compares: SHA-256 of the key's SPKI, hex. */
  fingerprint: z.string(),
  message: z.string(),
});

/**
 * The sidecar is about to replace its TLS key (`esphome-forge tls rotate`): a connected worker adds this
 * fingerprint to its pins before the switch, so it reconnects without being paired again.
 */
export const ServerKeyMessage = z.object({
  type: z.literal("server_key"),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

export const ConfigFile = z.object({
  /** Path relative to the device's build folder; never absolute, never `..`. */
  path: z
    .string()
    .min(1)
    .max(512)
    .refine(
      (p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."),
      "config file paths must stay inside the build folder",
    ),
  content: z.string(),
  /** Binary files (fonts, images) travel base64-encoded. */
  encoding: z.enum(["utf8", "base64"]).optional(),
});

export const AssignMessage = z.object({
  type: z.literal("assign"),
  ...JobRef,
  deviceId: DeviceId,
  deviceName: z.string().nullable(),
  action: JobAction,
  params: JobParams,
  /** The main config file (relative to the build folder) and every file it needs. */
  configFile: z.string(),
  files: z.array(ConfigFile),
  /**
   * The same inputs as an ESPHome config bundle (`esphome bundle` format, .tar.gz, base64). When
   * present the worker unpacks it instead of `files` (which may then be empty). `digest` = sha256
   * over the members except manifest.json, sorted by path, each as `path NUL bytes NUL`.
   */
  bundle: z.object({ data: z.string(), digest: Sha256Hex, source: z.enum(["esphome", "forge"]) }).optional(),
  configHash: Sha256Hex.nullable(),
  esphomeVersion: z.string().nullable(),
  /** Resolved OTA target for compile_upload/upload. */
  address: z.string().nullable(),
  /** For `upload`: the archived firmware to flash, fetched over REST with the worker token. */
  firmware: z.array(FirmwareImage).default([]),
  timeoutMs: z.number().int().positive(),
});
export type AssignMessage = z.infer<typeof AssignMessage>;

export const CancelMessage = z.object({ type: z.literal("cancel"), ...JobRef, reason: z.string() });

/**
 * The worker spoke about a job it does not hold (any more): stop it, free its slot and forget it. No
 * result is wanted. Sent once per assignment, in answer to any message about it.
 */
export const AbandonMessage = z.object({ type: z.literal("abandon"), ...JobRef, reason: z.string() });

/**
 * "Not now, send it again later" (e.g. the sidecar's disk is full): the worker keeps what it sent and
 * repeats it after this many milliseconds instead of dropping it.
 */
const RetryAfterMs = z.number().int().positive().max(600_000);

/** Acknowledges a result (the worker may forget the job) or a release. */
export const AckMessage = z.object({
  type: z.literal("ack"),
  ...JobRef,
  accepted: z.boolean(),
  reason: z.string().nullable(),
  /** With accepted=false: the result was not taken *yet*; keep it and send it again after this delay. */
  retryAfterMs: RetryAfterMs.optional(),
});

/** Every log chunk of the assignment up to `seq` is stored; the worker may forget them. */
export const LogAckMessage = z.object({
  type: z.literal("log_ack"),
  ...JobRef,
  seq: z.number().int().nonnegative(),
  /** The chunks after `seq` could not be stored: pause, then send them all again after this delay. */
  retryAfterMs: RetryAfterMs.optional(),
});

export const ConfigureMessage = z.object({
  type: z.literal("configure"),
  slots: z.number().int().min(0).max(32).optional(),
  tags: z.array(Tag).optional(),
});

export const CleanCacheMessage = z.object({ type: z.literal("clean_cache"), deviceId: DeviceId.optional() });

export const ErrorMessage = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
});

/** The upload gate's answer to `provenance`, computed on the bytes the sidecar received. */
export const ApprovalMessage = z.object({
  type: z.literal("approval"),
  ...JobRef,
  allow: z.boolean(),
  /** The digest of the OTA image the worker may flash; it must hash its file to exactly this. */
  firmwareSha256: Sha256Hex.nullable(),
  /**
   * The image to flash instead of the worker's own build output, from the sidecar's archive (its digest
   * is `firmwareSha256`): the approved image with Forge's signature blocks, for a device that enforces
   * signed OTA. A worker that predates it finds its file differs from `firmwareSha256` and flashes nothing.
   */
  flashImage: FirmwareImage.optional(),
  verdict: TrustVerdict,
  warning: z.string().nullable(),
  error: z.string().nullable(),
  /** With allow=false: no decision yet (e.g. the sidecar's disk is full); ask again after this delay. */
  retryAfterMs: RetryAfterMs.optional(),
});
export type ApprovalMessage = z.infer<typeof ApprovalMessage>;

export const SidecarToWorker = z.discriminatedUnion("type", [
  ApprovalMessage,
  WelcomeMessage,
  ChallengeMessage,
  PendingMessage,
  ServerKeyMessage,
  AssignMessage,
  CancelMessage,
  AbandonMessage,
  AckMessage,
  LogAckMessage,
  ConfigureMessage,
  CleanCacheMessage,
  ErrorMessage,
]);
export type SidecarToWorker = z.infer<typeof SidecarToWorker>;
