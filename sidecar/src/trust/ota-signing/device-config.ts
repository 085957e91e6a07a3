// What a device's resolved config (ESPHome's `esphome config` output, read as YAML) says about signed
// OTA: whether it is on, with which scheme, whether images are signed externally (no `signing_key`), the
// keys it trusts — ESPHome has already turned PEM files into their 64-hex digests there — and downgrade
// protection with the project version. Phase 2 uses it to decide which devices Forge signs for.
export interface DeviceSignedOta {
  scheme: string;
  /** No `signing_key`: the build leaves signing to someone else (Forge). */
  externalSigning: boolean;
  /** `verification_keys` as resolved: lower-case digests (a PEM path only in an unresolved config). */
  verificationKeys: string[];
  downgradeProtection: boolean;
  projectVersion: string | null;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const child = (v: unknown, key: string): Record<string, unknown> | null => {
  const c = isMap(v) ? v[key] : undefined;
  return isMap(c) ? c : null;
};

/** The device's signed-OTA settings, or null when it has none (or is not an ESP32). */
export function signedOtaFromConfig(config: unknown): DeviceSignedOta | null {
  const advanced = child(child(child(config, "esp32"), "framework"), "advanced");
  if (!advanced || !("signed_ota_verification" in advanced)) return null;
  const s = advanced.signed_ota_verification;
  const sov = isMap(s) ? s : {}; // a bare `signed_ota_verification:` is valid: the defaults
  const keys = Array.isArray(sov.verification_keys) ? sov.verification_keys : [];
  const project = child(child(config, "esphome"), "project");
  const version = project?.version;
  return {
    scheme: typeof sov.signing_scheme === "string" ? sov.signing_scheme.toLowerCase() : "rsa3072",
    externalSigning: !("signing_key" in sov),
    verificationKeys: keys.filter((k): k is string => typeof k === "string").map((k) => k.trim().toLowerCase()),
    downgradeProtection: advanced.enable_ota_downgrade_protection === true,
    projectVersion: typeof version === "string" || typeof version === "number" ? String(version) : null,
  };
}

/**
 * Whether Forge can sign for this device: rsa3072, external signing, and at least one of Forge's key
 * digests trusted. `missing` lists Forge's active keys the device does not trust yet (rotation pending).
 */
export function forgeSignsFor(
  d: DeviceSignedOta,
  forgeDigests: readonly string[],
): { ok: boolean; trusted: string[]; missing: string[]; reason: string | null } {
  const trusted = forgeDigests.filter((k) => d.verificationKeys.includes(k));
  const missing = forgeDigests.filter((k) => !d.verificationKeys.includes(k));
  const reason =
    d.scheme !== "rsa3072"
      ? `signing scheme ${d.scheme}: Forge signs rsa3072 only`
      : !d.externalSigning
        ? "the config signs at build time (signing_key); Forge never puts a private key on a build worker"
        : d.verificationKeys.length === 0
          ? "no verification_keys: the device has no trust anchor for externally signed images"
          : trusted.length === 0
            ? "none of Forge's active keys is in verification_keys"
            : null;
  return { ok: reason === null, trusted, missing, reason };
}
