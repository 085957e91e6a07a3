// The one answer to "which bytes go to this device for this approval": `imageToFlash`. Every flash
// path asks it after the gate approved an image and before a byte is sent (today: the compile_upload
// approval in worker-hub/worker-trust-gate.ts and the `upload` assignment in
// fleet/assignment-builder.ts; the sidecar's own flasher asks it the same way).
//
//   - For a device whose config enables signed OTA with Forge's keys, the approved bytes get the
//     signature blocks of Forge's active keys; the signed image goes into the archive, its record next
//     to the unsigned digest (signed-images.ts), and an `ota_signed` entry into the trust log that
//     names the approval's entry. The same approval with the same keys is signed once.
//   - Then the device's own check, decided here: when the firmware the device runs enforces signed OTA
//     (Forge flashed it signed, or it advertises `ota_signed`), an image no key it trusts signed, or an
//     older project version under downgrade protection, is refused with the reason — the device would
//     refuse it after the whole upload anyway.
import type { DeviceSignedOtaConfig, FirmwareImage } from "@esphome-forge/shared";
import { checkSignedImage } from "./check-image.js";
import { forgeSignsFor } from "./device-config.js";
import type { OtaKeyStore } from "./ota-key-store.js";
import { signImage, OtaSigningError } from "./sign-image.js";
import type { SignedImageRecord, SignedImages } from "./signed-images.js";

export interface FlashImageDeps {
  keys: Pick<OtaKeyStore, "active" | "signers">;
  records: SignedImages;
  firmware: {
    read(sha256: string): Buffer;
    putAsync(bytes: Buffer, sha256: string, size: number): Promise<unknown>;
  };
  /** `signed_ota_verification` of the device's config; null when it has none. */
  config: (deviceId: string) => DeviceSignedOtaConfig | null;
  /** The device's `ota_signed` TXT when it was seen; null otherwise. */
  advertised: (deviceId: string) => boolean | null;
  /** The firmware Forge last flashed to the device (the trust engine's installed digest). */
  installed: (deviceId: string) => string | null;
  /** The trust log entry of the approval of an image for a device. */
  approvalLogIndex: (sha256: string, deviceId: string) => number | null;
  /** Appends the `ota_signed` entry; returns its index. */
  logSigned?: (data: Record<string, unknown>) => number | null;
  now?: () => number;
}

/** What the running firmware of a device accepts, as far as Forge knows. */
export interface RunningOtaPolicy {
  /** The device enforces signed OTA (from Forge's signed flash, else its `ota_signed` TXT); null = unknown. */
  enforced: boolean | null;
  /** The keys it trusts (Forge's last signed flash); null = unknown. */
  trustedKeys: string[] | null;
  downgradeProtection: boolean;
  /** The project version of the firmware Forge last flashed, if Forge signed it. */
  projectVersion: string | null;
  /** The record of the signed image it runs, if Forge signed it. */
  record: SignedImageRecord | null;
}

export type FlashImage =
  { ok: true; image: FirmwareImage; signed: SignedImageRecord | null; notes: string[] } | { ok: false; reason: string };

export class OtaFlashImages {
  constructor(private readonly d: FlashImageDeps) {}

  /** What the firmware the device runs accepts (Forge's last flash, the device's TXT). */
  running(deviceId: string): RunningOtaPolicy {
    const installed = this.d.installed(deviceId);
    const record = installed ? this.d.records.bySigned(installed) : null;
    const advertised = this.d.advertised(deviceId);
    if (record) {
      // A device that says it does not enforce runs something else than Forge's last flash.
      const enforced = advertised === false ? false : record.trustedKeys.length > 0;
      return {
        enforced,
        trustedKeys: enforced ? record.trustedKeys : null,
        downgradeProtection: enforced && record.downgradeProtection,
        projectVersion: record.projectVersion,
        record,
      };
    }
    return { enforced: advertised, trustedKeys: null, downgradeProtection: false, projectVersion: null, record: null };
  }

  /**
   * The image to flash for this device: the image itself, or — when the gate `approved` it (verified)
   * and the device's config enables signed OTA with Forge's keys — the approved bytes with Forge's
   * signature blocks; or a refusal, with the reason, before any byte is sent. An image the gate did not
   * approve (warn or off mode) is never signed.
   */
  async imageToFlash(
    deviceId: string,
    approved: FirmwareImage,
    o: { jobId: number | null; approved: boolean },
  ): Promise<FlashImage> {
    const notes: string[] = [];
    const cfg = this.d.config(deviceId);
    let image = approved;
    let signed: SignedImageRecord | null = null;
    let bytes: Buffer | null = null;
    let unsignedBecause: string | null = null;
    if (cfg && !o.approved) {
      notes.push("[forge] signed OTA: the image is not approved, so Forge does not sign it");
    } else if (cfg) {
      const active = this.d.keys.active().map((k) => k.digest);
      const forge = forgeSignsFor({ ...cfg, projectVersion: null }, active);
      if (forge.ok) {
        const r = await this.sign(deviceId, approved, cfg, o.jobId);
        if (!r.ok) return r;
        ({ record: signed, bytes } = r);
        image = {
          name: signedName(approved.name),
          sha256: signed.signedSha256,
          size: signed.size,
          kind: approved.kind,
        };
        notes.push(
          `[forge] signed OTA: signed with ${signed.keyDigests.length} key${signed.keyDigests.length === 1 ? "" : "s"} ` +
            `(${signed.keyDigests.map((k) => k.slice(0, 16)).join(", ")}); flashing sha256 ${signed.signedSha256}`,
        );
        if (forge.missing.length)
          notes.push(
            `[forge] signed OTA: the config does not trust Forge's key ${forge.missing.map((k) => k.slice(0, 16)).join(", ")} yet (rotation in progress): add it to verification_keys`,
          );
      } else {
        unsignedBecause = forge.reason;
        notes.push(`[forge] signed OTA: Forge does not sign for this device: ${forge.reason}`);
      }
    }
    const refusal = this.deviceRefuses(deviceId, image, bytes);
    if (refusal)
      return {
        ok: false,
        reason: unsignedBecause ? `${refusal} (Forge does not sign for it: ${unsignedBecause})` : refusal,
      };
    return { ok: true, image, signed, notes };
  }

  /** The reason the device's running firmware would refuse this image, or null. */
  private deviceRefuses(deviceId: string, image: FirmwareImage, signedBytes: Buffer | null): string | null {
    const run = this.running(deviceId);
    if (!run.enforced) return null;
    const bytes = signedBytes ?? this.d.firmware.read(image.sha256);
    const prefix = "refused before sending: the device enforces signed OTA";
    if (run.trustedKeys) {
      const check = checkSignedImage(bytes, {
        trustedKeyDigests: run.trustedKeys,
        downgradeProtection:
          run.downgradeProtection && run.projectVersion ? { runningVersion: run.projectVersion } : null,
      });
      if (check.ok) return null;
      return check.refusal === "downgrade"
        ? `refused before sending: the device has downgrade protection and ${check.reason}`
        : `${prefix} and would refuse this image: ${check.reason}`;
    }
    // It advertises `ota_signed` but Forge did not flash its firmware signed: which keys it trusts is
    // unknown; an image without any signature block is refused for certain.
    const check = checkSignedImage(bytes, { trustedKeyDigests: [] });
    if (check.refusal === "unsigned" || check.refusal === "not_an_app_image" || check.refusal === "image_invalid")
      return `${prefix} (its ota_signed record says so) and this image is not signed: ${check.reason}`;
    return null;
  }

  private async sign(
    deviceId: string,
    approved: FirmwareImage,
    cfg: DeviceSignedOtaConfig,
    jobId: number | null,
  ): Promise<{ ok: true; record: SignedImageRecord; bytes: Buffer } | { ok: false; reason: string }> {
    const signers = this.d.keys.signers();
    const keyDigests = signers.map((s) => s.key.digest);
    const earlier = this.d.records.find(approved.sha256, deviceId, keyDigests);
    if (earlier) {
      try {
        return { ok: true, record: earlier, bytes: this.d.firmware.read(earlier.signedSha256) };
      } catch {
        // the archive no longer holds it: sign again
      }
    }
    const unsigned = this.d.firmware.read(approved.sha256);
    let s;
    try {
      s = await signImage(unsigned, signers);
    } catch (err) {
      if (err instanceof OtaSigningError) return { ok: false, reason: `signed OTA: ${err.message}` };
      throw err;
    }
    if (s.unsignedSha256 !== approved.sha256)
      return { ok: false, reason: "signed OTA: the archived image does not hash to the approved digest" };
    await this.d.firmware.putAsync(s.bytes, s.signedSha256, s.bytes.length);
    const approvalLogIndex = this.d.approvalLogIndex(approved.sha256, deviceId);
    const record: SignedImageRecord = {
      signedSha256: s.signedSha256,
      unsignedSha256: s.unsignedSha256,
      deviceId,
      jobId,
      size: s.bytes.length,
      keyDigests: s.keyDigests,
      imageDigest: s.imageDigest,
      projectVersion: s.projectVersion,
      trustedKeys: cfg.verificationKeys.filter((k) => /^[0-9a-f]{64}$/.test(k)),
      downgradeProtection: cfg.downgradeProtection,
      approvalLogIndex,
      logIndex: null,
      createdAt: (this.d.now ?? Date.now)(),
    };
    record.logIndex =
      this.d.logSigned?.({
        deviceId,
        jobId,
        unsignedSha256: record.unsignedSha256,
        signedSha256: record.signedSha256,
        imageDigest: record.imageDigest,
        keyDigests: record.keyDigests,
        approvalLogIndex,
      }) ?? null;
    this.d.records.add(record);
    return { ok: true, record, bytes: s.bytes };
  }
}

/** `firmware.ota.bin` → `firmware.ota.signed.bin`. */
function signedName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}.signed${name.slice(dot)}` : `${name}.signed`;
}
