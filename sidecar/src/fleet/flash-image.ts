// The one answer to "which bytes does the flasher send for this job" (README "A builder never flashes").
// A flasher is only ever given the image this function names, fetched from the archive and digest-checked
// on the flasher before it sends a byte:
// - compile_upload in its flash step: the archived image its approval named (`flashSha256`). When the
//   approval stored a different image (e.g. the signed-OTA image built at approval time), that is the one;
// - upload with a digest: that archived image, built for (or uploaded with a bundle for) this device;
// - upload without a digest: the device's staged firmware (its newest approved build).
import { otaImage, type FirmwareImage, type Job } from "@esphome-forge/shared";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { JobQueue } from "../queue/job-queue.js";

export interface FlashImageSources {
  firmware: Pick<FirmwareStore, "has" | "read">;
  queue: Pick<JobQueue, "list" | "lastApprovedBuild">;
  /** Firmware built outside Forge (CI) and uploaded for this device with its bundle, if any. */
  externalImage?: (deviceId: string, sha256: string) => FirmwareImage | null;
}

/** The image the flasher sends for `job`; throws with a user-facing reason when there is none. */
export function flashImageFor(job: Job, s: FlashImageSources): FirmwareImage {
  if (job.action === "compile_upload") {
    const sha = job.flashSha256;
    if (job.step !== "flash" || !sha) throw new Error("this job's build has not been approved yet; nothing to flash");
    return archived(job, sha, s) ?? missing(sha);
  }
  if (job.action !== "upload") throw new Error(`a ${job.action} job flashes nothing`);
  // The digest asked for; else the image its first dispatch chose (a retried attempt sends the same bytes).
  const wanted = job.params.firmwareSha256 ?? job.flashSha256;
  if (wanted) {
    const image = archived(job, wanted, s);
    if (!image) {
      if (!s.firmware.has(wanted)) missing(wanted);
      throw new Error(
        `firmware ${wanted} was neither built for nor uploaded (signed elsewhere) for device ${job.deviceId}`,
      );
    }
    return image;
  }
  const staged = stagedImage(job.deviceId, s);
  if (!staged) throw new Error("no staged firmware for this device: compile it first");
  return staged;
}

/**
 * The worker that built the image `job` would flash (it is never given that flash), or null when no
 * worker of this sidecar built it (an external upload) or there is nothing to flash.
 */
export function flashBuilder(job: Job, s: FlashImageSources): string | null {
  if (job.action === "compile_upload") return job.builtBy ?? null;
  let sha: string;
  try {
    sha = flashImageFor(job, s).sha256;
  } catch {
    return null; // the assignment fails with the reason
  }
  const owner = imageBuild(job.deviceId, sha, s);
  return owner ? (owner.builtBy ?? owner.workerId) : null;
}

/**
 * The build job that produced this device's image `sha` (its config, ESPHome version and builder), or
 * null for an image no build of this sidecar made (CI firmware uploaded with its bundle).
 */
export function imageBuild(deviceId: string, sha: string, s: Pick<FlashImageSources, "queue">): Job | null {
  return (
    s.queue
      .list({ device: [deviceId], limit: 500 })
      .jobs.find((j) => j.action !== "upload" && (j.flashSha256 === sha || j.firmware.some((f) => f.sha256 === sha))) ??
    null
  );
}

/** The device's staged firmware: the OTA image of its newest approved build, while the archive holds it. */
export function stagedImage(deviceId: string, s: Pick<FlashImageSources, "firmware" | "queue">): FirmwareImage | null {
  const built = s.queue.lastApprovedBuild(deviceId);
  if (!built) return null;
  const image = built.flashSha256
    ? built.firmware.find((f) => f.sha256 === built.flashSha256)
    : otaImage(built.firmware.filter((f) => s.firmware.has(f.sha256)));
  return image && s.firmware.has(image.sha256) ? image : null;
}

/** An archived image this device's job may flash: one of its own builds' images, or an external upload. */
function archived(job: Job, sha: string, s: FlashImageSources): FirmwareImage | null {
  if (!s.firmware.has(sha)) return null;
  const own = job.firmware.find((f) => f.sha256 === sha);
  if (own) return own;
  const owner = s.queue
    .list({ device: [job.deviceId], limit: 500 })
    .jobs.find((j) => j.firmware.some((f) => f.sha256 === sha) || j.flashSha256 === sha);
  const built = owner?.firmware.find((f) => f.sha256 === sha);
  if (built) return built;
  // The approval stored its own image for this device's job (signed OTA): archived, named by the approval.
  if (owner?.flashSha256 === sha || job.flashSha256 === sha)
    return { name: "firmware.ota.bin", sha256: sha, size: s.firmware.read(sha).length, kind: "ota" };
  return s.externalImage?.(job.deviceId, sha) ?? null;
}

function missing(sha: string): never {
  throw new Error(`firmware ${sha} is not in the archive`);
}
