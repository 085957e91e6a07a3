// ESPHome signed OTA (issue 15, docs/signed-ota.md) on the wire: what a device's config says about it,
// and what Forge knows of the device side — whether it enforces signatures, which of Forge's keys the
// firmware it runs trusts, downgrade protection and the project version Forge last flashed.
import { z } from "zod";

const KeyDigest = z.string().regex(/^[0-9a-f]{64}$/);

/** `esp32: framework: advanced: signed_ota_verification` as the device's (resolved) config has it. */
export const DeviceSignedOtaConfig = z.object({
  scheme: z.string(),
  /** No `signing_key`: images are signed by someone else (Forge). */
  externalSigning: z.boolean(),
  /** `verification_keys`: 64-hex key digests (a PEM path only when the config could not be resolved). */
  verificationKeys: z.array(z.string()),
  downgradeProtection: z.boolean(),
});
export type DeviceSignedOtaConfig = z.infer<typeof DeviceSignedOtaConfig>;

/** The device side of signed OTA, in the Device view and the HA trust entity's attributes. */
export const DeviceOtaSigning = z.object({
  /** The device enforces signed OTA: what it advertises (`ota_signed` TXT) when seen, else what Forge last flashed. */
  otaSigned: z.boolean(),
  /** Its config enables `signed_ota_verification`. */
  configured: z.boolean(),
  /** Its `ota_signed` TXT record when it was seen on the network; null = not seen or not said. */
  advertised: z.boolean().nullable(),
  /** Forge signs the images it approves for this device (rsa3072, external signing, one of Forge's keys trusted). */
  forgeSigns: z.boolean(),
  /** Why Forge does not sign for it (null when it does, or the config has no signed OTA). */
  reason: z.string().nullable(),
  /** Forge's active keys the config does not trust yet (a rotation in progress). */
  missingKeys: z.array(KeyDigest),
  /** The keys the firmware it runs trusts (from Forge's last signed flash); null = unknown. */
  trustedKeys: z.array(z.string()).nullable(),
  /** Downgrade protection of the firmware it runs (Forge's last signed flash), else of its config. */
  downgradeProtection: z.boolean(),
  /** `esphome: project: version` of the last image Forge flashed to it. */
  lastProjectVersion: z.string().nullable(),
});
export type DeviceOtaSigning = z.infer<typeof DeviceOtaSigning>;

/** The YAML helper for one device: the block to add, and the device's file with it applied. */
export const DeviceSignedOtaPlan = z.object({
  deviceId: z.string(),
  /** Forge's active key digests the block lists. */
  keys: z.array(KeyDigest),
  /** The block to copy (into the device or a shared package). */
  yaml: z.string(),
  /** The device's config file with the block applied, and the sha256 of the file as it is now (send it as If-Match). */
  apply: z
    .object({
      path: z.string(),
      sha256: z.string(),
      content: z.string(),
      changed: z.boolean(),
      notes: z.array(z.string()),
    })
    .nullable(),
  /** Why the block cannot be applied to the file itself (then copy it by hand). */
  applyError: z.string().nullable(),
});
export type DeviceSignedOtaPlan = z.infer<typeof DeviceSignedOtaPlan>;

export const DeviceSignedOtaQuery = z
  .object({
    downgradeProtection: z
      .enum(["true", "false"])
      .transform((v) => v === "true")
      .optional(),
  })
  .strict();

export const ApplySignedOtaRequest = z
  .object({
    /** Also turn on downgrade protection (needs a dotted-numeric `esphome: project: version:`). */
    downgradeProtection: z.boolean().optional(),
    message: z.string().max(2000).optional(),
  })
  .strict();
