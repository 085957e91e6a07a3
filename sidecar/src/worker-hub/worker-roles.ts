// Who may run which step (README "A builder never flashes"). Builders compile; flashers send approved,
// archived images to devices and never build. Roles are an admin's decision stored by the sidecar (the
// worker cannot claim one); a worker without stored roles is a builder. The built-in local worker (the
// sidecar's own child process on the devices' LAN) is both, and is the one worker that may flash an
// image it built: what it flashes is still the archived approved bytes, downloaded and digest-checked.
import { WorkerRole, type Job } from "@esphome-forge/shared";
import { z } from "zod";

export const DEFAULT_ROLES: readonly WorkerRole[] = ["builder"];
export const LOCAL_ROLES: readonly WorkerRole[] = ["builder", "flasher"];

const StoredRoles = z.array(WorkerRole).min(1);

/** The roles in effect from the stored column (JSON) and whether the worker is the built-in local one. */
export function rolesFrom(stored: string | null | undefined, local: boolean): WorkerRole[] {
  if (local) return [...LOCAL_ROLES];
  if (!stored) return [...DEFAULT_ROLES];
  const parsed = StoredRoles.safeParse(safeJson(stored));
  return parsed.success ? [...new Set(parsed.data)] : [...DEFAULT_ROLES];
}

/** The step a queued job runs next: a flash (upload, or a compile_upload whose build was approved) or a build. */
export function needsFlasher(job: Pick<Job, "action" | "step">): boolean {
  return job.action === "upload" || (job.action === "compile_upload" && job.step === "flash");
}

/** Whether a worker with these roles may be given this job's next step; null = yes, else why not. */
export function roleRefusal(
  job: Pick<Job, "action" | "step" | "builtBy">,
  worker: { id: string; roles: readonly WorkerRole[]; local: boolean },
): string | null {
  if (needsFlasher(job)) return flashRefusal(job.builtBy ?? null, worker);
  return worker.roles.includes("builder") ? null : `${worker.id} is a flasher and never builds`;
}

/** Whether a worker may flash an image `builtBy` built; null = yes, else why not. */
export function flashRefusal(
  builtBy: string | null,
  worker: { id: string; roles: readonly WorkerRole[]; local: boolean },
): string | null {
  if (!worker.roles.includes("flasher")) return `${worker.id} is not a flasher`;
  if (builtBy === worker.id && !worker.local) return `${worker.id} built this image, so it never flashes it`;
  return null;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
