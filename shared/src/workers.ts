// Build workers: their roles, the machine they run on, where they stand with the admin (enrolment and
// key fingerprints), the worker as the sidecar lists it, and worker tokens.
import { z } from "zod";
import { Tag } from "./domain.js";

/** What a worker may do: `builder` (default) compiles, `flasher` (set by an admin) flashes approved images and never builds. */
export const WORKER_ROLES = ["builder", "flasher"] as const;
export const WorkerRole = z.enum(WORKER_ROLES);
export type WorkerRole = z.infer<typeof WorkerRole>;
export const WorkerSystem = z.object({
  hostname: z.string().max(255),
  os: z.string().max(255),
  arch: z.string().max(32),
  cpus: z.number().int().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  nodeVersion: z.string().max(32),
});
export type WorkerSystem = z.infer<typeof WorkerSystem>;

/**
 * Where a worker stands with the admin (see README "Security"): `pending` waits for a decision and gets no
 * job and no secret; `approved` builds; `rejected` was turned down (its key may not come back); `revoked`
 * lost its credential and key for good.
 */
export const WORKER_ENROLMENTS = ["pending", "approved", "rejected", "revoked"] as const;
export const WorkerEnrolment = z.enum(WORKER_ENROLMENTS);
export type WorkerEnrolment = z.infer<typeof WorkerEnrolment>;
/** SHA-256 of a public key's SPKI DER, lowercase hex: what people compare (worker keys, the sidecar's TLS key). */
export const KeyFingerprint = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 fingerprint (64 hex characters)");

export const Worker = z.object({
  id: z.string(),
  name: z.string(),
  online: z.boolean(),
  local: z.boolean(),
  enrolment: WorkerEnrolment,
  /** The fingerprint of the key the worker signs with (approved), or of the key it asks to enrol (pending). */
  keyFingerprint: KeyFingerprint.nullable(),
  /** A key waiting for the admin: a new worker's first key, or a new key under a known worker (rotation). */
  pendingKey: z
    .object({ fingerprint: KeyFingerprint, kind: z.enum(["enrol", "rotate"]), requestedAt: z.string() })
    .nullable(),
  slots: z.number().int().nonnegative(),
  busySlots: z.number().int().nonnegative(),
  /**
   * Routing hints, not a security boundary: a worker declares its own tags, and any worker with a token can
   * declare any tag. `tagsLocked`: an admin fixed them, and the worker's hello no longer changes them.
   */
  tags: z.array(Tag),
  tagsLocked: z.boolean(),
  platform: z.string().nullable(),
  system: WorkerSystem.nullable(),
  version: z.string().nullable(),
  esphomeVersions: z.array(z.string()),
  activeJobIds: z.array(z.number().int()),
  connectedAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  /** True when its last connection was refused for a version older than MIN_WORKER_VERSION. */
  outdated: z.boolean().optional(),
  /** Why the sidecar refused its last connection (the version gate), else null. */
  problem: z.string().nullable().optional(),
  /** Free space in the worker's state folder, from its latest heartbeat; null when unknown. */
  diskFreeBytes: z.number().int().nonnegative().nullable().optional(),
  /** Below the `workerMinFreeDiskMb` floor: dispatch skips the worker until space returns. */
  diskLow: z.boolean().optional(),
  /** Set by an admin (default `builder`); the built-in local worker is always a flasher too. */
  roles: z.array(WorkerRole).optional(),
});
export type Worker = z.infer<typeof Worker>;

export const WorkerToken = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  /** A credential from `worker join` belongs to one worker id (and its key) from the start. */
  workerId: z.string().nullable().optional(),
});
export type WorkerToken = z.infer<typeof WorkerToken>;
