// Turns a job the dispatcher picked into the `assign` message for a worker. A builder gets the
// device's config (only what it needs) and the ESPHome version — a compile_upload's build step is sent
// as a `compile`, with no OTA address. A flasher gets a flash step as an `upload`: the OTA address, the
// config ESPHome's upload reads the OTA credentials from, and exactly the archived approved image
// (flash-image.ts), gated again and put on record before it may start.
import { otaImage, type AssignMessage, type FirmwareImage, type Job } from "@esphome-forge/shared";
import { createBundle } from "../bundle/bundle.js";
import { stripMetadata } from "../inventory/metadata-block.js";
import type { AssignmentBuilder } from "../dispatch/dispatcher.js";
import type { FirmwareStore } from "../firmware/firmware-store.js";
import type { Inventory } from "../inventory/inventory.js";
import type { Holder, JobQueue } from "../queue/job-queue.js";
import type { DeviceView } from "./device-view.js";
import type { ImageToFlash } from "../worker-hub/worker-trust-gate.js";
import { flashBuilder, flashImageFor, imageBuild, type FlashImageSources } from "./flash-image.js";

export class FleetAssignmentBuilder implements AssignmentBuilder {
  constructor(
    private readonly inventory: Inventory,
    private readonly queue: JobQueue,
    private readonly firmware: FirmwareStore,
    private readonly view: DeviceView,
    private readonly timeoutMs: () => number,
    /** Content trust on archived firmware (upload jobs): the error that blocks it, or null. */
    private readonly gate?: (job: Job, image: { sha256: string }) => { error: string | null; verified: boolean },
    /** Firmware built outside Forge (CI) and uploaded for this device with its bundle, if any. */
    private readonly externalImage?: (deviceId: string, sha256: string) => FirmwareImage | null,
    /** Puts an `upload`'s flash on record before the worker may start it (rejects when it cannot). */
    private readonly flashIntent?: (job: Job, fence: string, sha256: string) => Promise<void>,
    /** The config folder's commit the job builds (outside edits of its files are committed first). */
    private readonly configCommit?: (deviceId: string) => Promise<string | null>,
    /** The image to flash once the gate allowed the archived one: signed for signed OTA, or refused. */
    private readonly imageToFlash?: ImageToFlash,
  ) {}

  async build(job: Job, holder: Holder): Promise<AssignMessage> {
    const device = this.inventory.get(job.deviceId);
    if (!device) throw new Error(`device ${job.deviceId} is no longer in the config folder`);
    const flashing = job.step === "flash";
    const needsConfig = !flashing;
    // A validate job goes ahead while ESPHome rejects the config: the worker's `esphome config` reports
    // where (files that cannot even be read still fail below, when they are bundled).
    if (needsConfig && device.error && job.action !== "validate")
      throw new Error(`the config cannot be read: ${device.error}`);
    const commit = needsConfig ? ((await this.configCommit?.(job.deviceId)) ?? null) : null;
    const { configFile, files, configHash } = await this.inventory.jobFiles(job.deviceId);
    const address = job.params.address ?? device.address;
    const esphomeVersion = job.params.esphomeVersion ?? job.esphomeVersion ?? this.view.targetVersion(device);
    // The inputs travel as an ESPHome-format bundle (secrets already filtered to the used keys).
    // The metadata block is Forge's, not ESPHome's: leaving it out makes the bundle digest equal
    // the inventory's config hash, so "what was built" and "what the config is now" compare directly.
    const bundleFiles = files.map((f) =>
      f.path === configFile && f.encoding !== "base64" ? { ...f, content: stripMetadata(f.content) } : f,
    );
    const bundle = createBundle(bundleFiles, configFile, esphomeVersion);
    if (bundle.digest !== configHash)
      throw new Error(`config digest mismatch while bundling (${bundle.digest} ≠ ${configHash}); retry`);
    // The digest actually sent is what the job records (the config may have changed since it was queued).
    // A compile_upload's flash keeps what its build recorded (the image was built from those inputs).
    if (!flashing) this.queue.recordInputs(job.id, holder, bundle.digest, esphomeVersion, { configCommit: commit });
    if (flashing && !address) throw new Error("no OTA address is known for this device");
    let firmware = flashing ? [flashImageFor(job, this.sources)] : [];
    if (job.action === "upload") {
      // An upload flashes an image built earlier: it records that image and the inputs of the build that
      // made it (none for CI firmware), not today's config, so "outdated" and the last flash stay true.
      const sha = firmware[0]!.sha256;
      const built = imageBuild(job.deviceId, sha, this.sources);
      this.queue.recordInputs(job.id, holder, built?.configHash ?? null, built?.esphomeVersion ?? null, {
        configCommit: built?.configCommit ?? null,
        flashSha256: sha,
      });
    }
    let ota = otaImage(firmware);
    // Checked again at the flash (a key revoked since the build was approved stops it here).
    const gated = ota && this.gate ? this.gate(job, ota) : null;
    if (gated?.error) throw new Error(gated.error);
    if (ota && this.imageToFlash) {
      // The gate judged the approved image; the device gets it signed when it enforces signed OTA.
      const approved = gated?.verified ?? false;
      const flash = await this.imageToFlash(job.deviceId, ota, { jobId: job.id, approved });
      if (!flash.ok) throw new Error(flash.reason);
      for (const n of flash.notes) this.queue.appendLog(job.id, null, `\n${n}\n`);
      if (flash.image.sha256 !== ota.sha256) {
        firmware = [flash.image];
        ota = flash.image;
      }
    }
    if (ota) await this.flashIntent?.(job, holder.fence, ota.sha256);
    return {
      type: "assign",
      jobId: job.id,
      fence: holder.fence,
      deviceId: job.deviceId,
      deviceName: device.name,
      // The worker runs one step: a builder compiles, a flasher uploads.
      action: flashing ? "upload" : job.action === "compile_upload" ? "compile" : job.action,
      params: flashing ? job.params : withoutAddress(job.params),
      configFile,
      files: [],
      bundle: { data: bundle.data.toString("base64"), digest: bundle.digest, source: "forge" },
      configHash,
      esphomeVersion,
      address: flashing ? (address ?? null) : null,
      firmware,
      timeoutMs: this.timeoutMs(),
    };
  }

  builtBy(job: Job): string | null {
    return flashBuilder(job, this.sources);
  }

  private get sources(): FlashImageSources {
    return { firmware: this.firmware, queue: this.queue, externalImage: this.externalImage };
  }
}

/** A builder is told nothing about where the device is. */
function withoutAddress(params: Job["params"]): Job["params"] {
  const { address: _address, ...rest } = params;
  return rest;
}
