// Garbage collection of the firmware archive: an image nothing refers to any more — uploaded for a job
// that then failed or was refused, or left behind when a job's history was pruned — is deleted once it
// has been unused for a grace period. Never deleted: an image named by a job's result, by an attestation
// or approval (the trust log points at it), by a device's installed firmware, by a job still waiting to
// flash it, or one a connected worker sent for a result the sidecar has not handled yet.
import type { Db } from "../db/database.js";
import type { FirmwareStore } from "./firmware-store.js";

export const DEFAULT_FIRMWARE_GRACE_MS = 10 * 60_000;

const UNREFERENCED = `
  SELECT f.sha256 FROM firmware f
  WHERE f.last_used_at < @cutoff
    AND NOT EXISTS (SELECT 1 FROM job_firmware j WHERE j.sha256 = f.sha256)
    AND NOT EXISTS (SELECT 1 FROM trust_attestation_subjects s WHERE s.sha256 = f.sha256)
    AND NOT EXISTS (SELECT 1 FROM trust_installed i WHERE i.firmware_sha256 = f.sha256)
    AND NOT EXISTS (SELECT 1 FROM jobs q WHERE q.state IN ('queued', 'blocked', 'running')
                    AND json_extract(q.params, '$.firmwareSha256') = f.sha256)
  LIMIT 1000`;

export interface FirmwareGcOptions {
  db: Db;
  store: FirmwareStore;
  graceMs: number;
  /** Digests received for results still being handled (connected workers' sessions). */
  inUse: () => Iterable<string>;
  log: (msg: string) => void;
}

/** One collection pass; returns the digests it deleted. */
export function collectFirmware(o: FirmwareGcOptions, now: number): string[] {
  const busy = new Set(o.inUse());
  const rows = o.db.prepare(UNREFERENCED).all({ cutoff: now - o.graceMs }) as { sha256: string }[];
  const deleted: string[] = [];
  for (const { sha256 } of rows) {
    if (busy.has(sha256) || o.store.writing(sha256)) continue;
    o.store.delete(sha256);
    deleted.push(sha256);
  }
  if (deleted.length) o.log(`firmware archive: deleted ${deleted.length} unreferenced image(s)`);
  return deleted;
}
