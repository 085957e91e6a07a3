// Device signing for ESPHome's signed OTA (part of the trust section): appending the SBv2 signature
// blocks to a 2 MB app image with one key and with two (rotation), target < 20 ms each; the device-side
// check Forge runs before a flash; and RSA-3072 key generation, which is rare but slow. Medians.
import { generateKeyPairSync } from "node:crypto";
import { buildEspAppImage } from "../devtools/esp-app-image-fixture.js";
import { checkSignedImage } from "../trust/ota-signing/check-image.js";
import { signImage } from "../trust/ota-signing/sign-image.js";
import { KeyObjectSigner } from "../trust/ota-signing/signer.js";
import { median } from "./stats.js";

export const OTA_SIGN_TARGET_MS = 20;

async function medianMs(fn: () => unknown, runs: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return Math.round(median(times) * 1000) / 1000;
}

export async function benchOtaSigning(): Promise<Record<string, number>> {
  const rsa = () => generateKeyPairSync("rsa", { modulusLength: 3072, publicExponent: 65537 }).privateKey;
  const keygen: number[] = [];
  const signers: KeyObjectSigner[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    signers.push(new KeyObjectSigner(rsa()));
    keygen.push(performance.now() - t0);
  }
  // ~2 MB, padded like an ESPHome build with signed OTA (ends on a 64 KiB boundary).
  const image = buildEspAppImage({ codeSize: 2 * 1024 * 1024 - 100_000 });
  const one = await medianMs(() => signImage(image, signers.slice(0, 1)), 30);
  const two = await medianMs(() => signImage(image, signers), 30);
  const signed = await signImage(image, signers);
  const check = await medianMs(
    () => checkSignedImage(signed.bytes, { trustedKeyDigests: [signers[1]!.key.digest] }),
    30,
  );
  return {
    "ota sign 2MB image, 1 key (SBv2 block) ms": one,
    "ota sign 2MB image, 2 keys (rotation) ms": two,
    "ota device-side check 2MB (2nd block trusted) ms": check,
    "ota RSA-3072 key generation ms": Math.round(median(keygen)),
    "ota image size MB": Math.round((image.length / (1024 * 1024)) * 100) / 100,
  };
}
