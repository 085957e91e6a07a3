// Reads a running sidecar's database the way an attacker who learned a value would use it: the tests
// take a job's current fencing token from here to prove that knowing it is not enough.
import { join } from "node:path";
import Database from "better-sqlite3";
import type { AssignMessage } from "@esphome-forge/shared";

/** The fencing token of the job's current assignment (null when it has none). */
export function leakedFence(dataDir: string, jobId: number): AssignMessage["fence"] | null {
  const db = new Database(join(dataDir, "forge.db"), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT * FROM jobs WHERE id = ?").get(jobId) as Record<string, unknown> | undefined;
    return (row?.lease_fence ?? row?.fence ?? null) as AssignMessage["fence"] | null;
  } finally {
    db.close();
  }
}
