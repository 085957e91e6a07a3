// The YAML a user adds to a device (or to a shared package: ESPHome merges the mappings) so that the
// device accepts only OTA images signed by Forge's keys: `esp32: framework: advanced:
// signed_ota_verification:` with the rsa3072 scheme and Forge's key digests (or public key PEM files)
// as `verification_keys`, and optionally downgrade protection, which needs `esphome: project:` with a
// dotted-numeric version. Without `signing_key`, ESPHome builds unsigned images and leaves the signing
// to Forge. Checked with the real `esphome config` in the tests.
import { DOTTED_NUMERIC } from "./project-version.js";
import { SIG_BLOCK_MAX } from "./sbv2-block.js";

export interface YamlKey {
  digest: string;
  name?: string;
  /** Needed for `keyForm: "pem"`. */
  publicKeyPem?: string;
}

export interface SignedOtaYamlOptions {
  keys: readonly YamlKey[];
  /** `digest` (default): the 64-hex digests inline; `pem`: public key files next to the YAML. */
  keyForm?: "digest" | "pem";
  /** Folder (relative to the config folder) for the PEM files; default `forge-ota-keys`. */
  pemDir?: string;
  /** Turn on downgrade protection with this project identity. */
  downgradeProtection?: { projectName: string; projectVersion: string } | null;
  /** The device's ESP32 variant when known (`esp32`, `esp32s3`, …): some need a note or cannot use rsa3072. */
  variant?: string | null;
}

export interface SignedOtaYaml {
  yaml: string;
  /** Files to place beside the YAML (the PEM form), paths relative to the config folder. */
  files: { path: string; content: string }[];
}

export class DeviceYamlError extends Error {}

const ECC_ONLY = new Set(["esp32c2", "esp32c61"]);
const PROJECT_NAME = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const q = (s: string): string => JSON.stringify(s); // a YAML double-quoted scalar

export function signedOtaYaml(o: SignedOtaYamlOptions): SignedOtaYaml {
  const keys = o.keys.map((k) => ({ ...k, digest: k.digest.toLowerCase() }));
  if (keys.length === 0 || keys.length > SIG_BLOCK_MAX)
    throw new DeviceYamlError(`verification_keys takes 1 to ${SIG_BLOCK_MAX} keys, got ${keys.length}`);
  if (keys.some((k) => !/^[0-9a-f]{64}$/.test(k.digest)))
    throw new DeviceYamlError("a key digest is not 64 hex digits");
  if (new Set(keys.map((k) => k.digest)).size !== keys.length) throw new DeviceYamlError("a key is listed twice");
  const variant = o.variant?.toLowerCase().replace(/-/g, "") ?? null;
  if (variant && ECC_ONLY.has(variant))
    throw new DeviceYamlError(`${o.variant} has no RSA secure-boot support; signed OTA with rsa3072 cannot work there`);
  const dp = o.downgradeProtection ?? null;
  if (dp) {
    if (!PROJECT_NAME.test(dp.projectName))
      throw new DeviceYamlError(`project name ${q(dp.projectName)} must be "namespace.name" (letters, digits, _ -)`);
    if (!DOTTED_NUMERIC.test(dp.projectVersion) || dp.projectVersion.length > 31)
      throw new DeviceYamlError(
        `downgrade protection needs a dotted-numeric project version like 1.2.3, got ${q(dp.projectVersion)}`,
      );
  }

  const pemDir = (o.pemDir ?? "forge-ota-keys").replace(/\/+$/, "");
  const files: SignedOtaYaml["files"] = [];
  const entries = keys.map((k) => {
    const label = `# ${k.name ? `${k.name} ` : ""}(Forge device signing key)`;
    if (o.keyForm !== "pem") return `          - ${q(k.digest)}  ${label}`;
    if (!k.publicKeyPem) throw new DeviceYamlError(`the PEM form needs the public key of ${k.digest}`);
    const path = `${pemDir}/${k.digest.slice(0, 16)}.pem`;
    files.push({ path, content: k.publicKeyPem });
    return `          - ${path}  ${label}`;
  });

  const lines = [
    "# Forge for ESPHome: device-enforced signed OTA. After one flash with this block, the device accepts",
    "# only OTA images signed by one of these keys, which only the Forge sidecar holds (Forge signs what its",
    "# trust gate approved). Keep at least one listed key active in Forge, or the next update needs a serial flash.",
    "esp32:",
    "  framework:",
    "    advanced:",
    "      signed_ota_verification:",
    "        signing_scheme: rsa3072",
    "        verification_keys:",
    ...entries,
  ];
  if (variant === "esp32")
    lines.push('      minimum_chip_revision: "3.0"  # RSA signature blocks need an ESP32 of revision 3.0 or newer');
  else if (!variant)
    lines.push('      # On the original ESP32 (not S2/S3/C3/C5/C6/H2/P4), also set minimum_chip_revision: "3.0".');
  if (dp) {
    lines.push(
      "      enable_ota_downgrade_protection: true  # an image with an older project version is refused",
      "esphome:",
      "  project:",
      `    name: ${q(dp.projectName)}`,
      `    version: ${q(dp.projectVersion)}  # raise it with every release`,
    );
  }
  return { yaml: lines.join("\n") + "\n", files };
}
