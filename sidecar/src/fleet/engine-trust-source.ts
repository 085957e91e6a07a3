// The Device view's trust state from the content-trust engine: `pending` = the OTA image of the
// device's last successful build, `running` = the firmware Forge last flashed to it.
import { COMPILE_ACTIONS, otaImage, type TrustVerdict } from "@esphome-forge/shared";
import type { JobQueue } from "../queue/job-queue.js";
import type { TrustEngine } from "../trust/index.js";
import type { TrustSource } from "./device-view.js";

export class EngineTrustSource implements TrustSource {
  constructor(
    private readonly engine: TrustEngine,
    private readonly queue: JobQueue,
  ) {}

  verdicts(deviceId: string): { pending: TrustVerdict; running: TrustVerdict } {
    const built = this.queue.lastSucceeded(deviceId, COMPILE_ACTIONS);
    const pendingSha = (built && otaImage(built.firmware)?.sha256) ?? null;
    const runningSha = this.engine.sequences.installed(deviceId)?.firmwareSha256 ?? null;
    return {
      pending: pendingSha ? this.safe(deviceId, pendingSha) : unknown("no firmware has been built for this device yet"),
      running: runningSha
        ? this.safe(deviceId, runningSha)
        : unknown("Forge has not flashed this device, so what runs on it is unknown"),
    };
  }

  private safe(deviceId: string, sha256: string): TrustVerdict {
    try {
      return this.engine.evaluate(deviceId, { sha256 }).verdict;
    } catch (err) {
      return { ...unknown(`trust evaluation failed: ${(err as Error).message}`), firmwareSha256: sha256 };
    }
  }
}

function unknown(reason: string): TrustVerdict {
  return { state: "unknown", reason, signer: null, buildSequence: null, checkedAt: null, firmwareSha256: null };
}
