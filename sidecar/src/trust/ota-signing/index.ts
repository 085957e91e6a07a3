// Device signing for ESPHome's signed OTA (issue 15): keys only the sidecar holds, Secure Boot V2
// signature blocks appended to approved images, the device's own acceptance check, and the YAML that
// turns it on for a device. docs/signed-ota.md describes the format and the flow.
export {
  checkSignedImage,
  type DeviceOtaPolicy,
  type ImageCheck,
  type OtaRefusal,
  type BlockReport,
} from "./check-image.js";
export { signedOtaYaml, DeviceYamlError, type SignedOtaYaml, type SignedOtaYamlOptions } from "./device-yaml.js";
export { parseEspAppImage, EspImageError, type EspAppImage, type AppDescription } from "./esp-app-image.js";
export { OtaKeyStore, OtaKeyError, rotationSteps, type OtaKeyRecord } from "./ota-key-store.js";
export { versionIsOlder, DOTTED_NUMERIC } from "./project-version.js";
export { sbv2PublicKey, decodeBlock, type Sbv2PublicKey } from "./sbv2-block.js";
export { signImage, OtaSigningError, type SignedImage } from "./sign-image.js";
export { fileSigner, KeyObjectSigner, type OtaSigner } from "./signer.js";
export { signedOtaFromConfig, forgeSignsFor, type DeviceSignedOta } from "./device-config.js";
export { SignedImages, type SignedImageRecord } from "./signed-images.js";
export { OtaFlashImages, type FlashImage, type FlashImageDeps, type RunningOtaPolicy } from "./flash-image.js";
