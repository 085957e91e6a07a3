// The Device view's trust state from the content-trust engine: `pending` = the OTA image of the
// device's last successful build, `running` = the firmware Forge last flashed to it. Verdicts are kept
// per device until the firmware changes or a trust change reaches them (`invalidate`), so building a
// view costs one lookup of what the device runs, not a signature check. A verified running firmware
// reads `device_enforced` when the device itself accepts only images signed by Forge's keys (ESPHome
// signed OTA; decided outside the memo, since it follows the device's advertisement).
import type { TrustVerdict } from "@esphome-forge/shared";
import type { TrustChange, TrustEngine } from "../trust/index.js";
import type { DeviceTrust, TrustSource } from "./device-view.js";

interface Remembered {
  pending: string | null;
  running: string | null;
  generation: number;
  verdicts: DeviceTrust;
}

export class EngineTrustSource implements TrustSource {
  private readonly remembered = new Map<string, Remembered>();
  /** Bumped by a change that may alter any verdict: everything remembered before it is stale. */
  private generation = 0;

  constructor(
    private readonly engine: TrustEngine,
    /** The device's running firmware accepts only images signed by Forge's keys (trust/ota-signing/). */
    private readonly enforcedByDevice: (deviceId: string) => boolean = () => false,
  ) {}

  verdicts(deviceId: string, pendingSha: string | null, opts: { cachedOnly?: boolean } = {}): DeviceTrust | null {
    const runningSha = this.engine.sequences.installed(deviceId)?.firmwareSha256 ?? null;
    const r = this.remembered.get(deviceId);
    if (r && r.generation === this.generation && r.pending === pendingSha && r.running === runningSha)
      return this.enforced(deviceId, r.verdicts);
    if (opts.cachedOnly) return null;
    // A new build changes only the pending half (a flash, only the running half): the other is kept, so
    // each build costs one evaluation here, not two (verifying signatures and log proofs).
    const current = r && r.generation === this.generation ? r : null;
    const half = (which: "pending" | "running", sha: string | null, none: string): TrustVerdict =>
      current && current[which] === sha ? current.verdicts[which] : sha ? this.safe(deviceId, sha) : unknown(none);
    const verdicts = {
      pending: half("pending", pendingSha, "no firmware has been built for this device yet"),
      running: half("running", runningSha, "Forge has not flashed this device, so what runs on it is unknown"),
    };
    this.remembered.set(deviceId, { pending: pendingSha, running: runningSha, generation: this.generation, verdicts });
    return this.enforced(deviceId, verdicts);
  }

  private enforced(deviceId: string, v: DeviceTrust): DeviceTrust {
    if (v.running.state !== "verified" || !this.enforcedByDevice(deviceId)) return v;
    const reason = `${v.running.reason}; the device itself accepts only images signed by Forge's keys (signed OTA)`;
    return { ...v, running: { ...v.running, state: "device_enforced", reason } };
  }

  /** Forgets what `change` may have altered; returns the devices concerned ("all", or their ids). */
  invalidate(change: TrustChange): "all" | string[] {
    if (change.affects === "all") {
      this.generation++;
      return "all";
    }
    const hit = (r: Remembered) =>
      change.affects === "firmware"
        ? r.pending === change.firmwareSha256 ||
          r.running === change.firmwareSha256 ||
          // a signed image is judged by the approved image it was made from
          (r.running !== null && this.engine.otaSigned.approvedFor(r.running) === change.firmwareSha256)
        : r.verdicts.pending.state === "unknown_signer" || r.verdicts.running.state === "unknown_signer";
    const ids = [...this.remembered].filter(([, r]) => hit(r)).map(([id]) => id);
    for (const id of ids) this.remembered.delete(id);
    return ids;
  }

  forget(deviceId: string): void {
    this.remembered.delete(deviceId);
  }

  private safe(deviceId: string, sha256: string): TrustVerdict {
    try {
      return this.engine.evaluate(deviceId, { sha256 }, { remember: false }).verdict;
    } catch (err) {
      return { ...unknown(`trust evaluation failed: ${(err as Error).message}`), firmwareSha256: sha256 };
    }
  }
}

function unknown(reason: string): TrustVerdict {
  return { state: "unknown", reason, signer: null, buildSequence: null, checkedAt: null, firmwareSha256: null };
}
