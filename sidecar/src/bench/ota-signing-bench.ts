// Device signing for ESPHome's signed OTA (the `ota` section): appending the SBv2 signature blocks to a
// 2 MB app image with one key and with two (rotation), target < 20 ms each; the whole `imageToFlash` of
// an approval (sign, the archive's fsynced write, the record); the device-side check Forge runs before a
// flash; and RSA-3072 key generation, which is rare but slow. Medians.
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/database.js";
import { buildEspAppImage } from "../devtools/esp-app-image-fixture.js";
import { FirmwareStore } from "../firmware/firmware-store.js";
import { OtaFlashImages } from "../trust/ota-signing/flash-image.js";
import { OtaKeyStore } from "../trust/ota-signing/ota-key-store.js";
import { SignedImages } from "../trust/ota-signing/signed-images.js";
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
    "ota image to flash 2MB, 1 key (sign + archive write + record) ms": await benchImageToFlash(),
    "ota sign 2MB image, 2 keys (rotation) ms": two,
    "ota device-side check 2MB (2nd block trusted) ms": check,
    "ota RSA-3072 key generation ms": Math.round(median(keygen)),
    "ota image size MB": Math.round((image.length / (1024 * 1024)) * 100) / 100,
  };
}

/** `imageToFlash` for fresh approvals of 2 MB images: sign, write to the archive (fsync), record. */
async function benchImageToFlash(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "forge-bench-ota-"));
  const db = openDatabase(join(dir, "forge.db"));
  try {
    const firmware = new FirmwareStore(db, join(dir, "firmware"));
    const keys = new OtaKeyStore(join(dir, "keys"));
    const key = await keys.create("bench");
    const flash = new OtaFlashImages({
      keys,
      records: new SignedImages(db),
      firmware,
      config: () => ({
        scheme: "rsa3072",
        externalSigning: true,
        verificationKeys: [key.digest],
        downgradeProtection: false,
      }),
      advertised: () => null,
      installed: () => null,
      approvalLogIndex: () => null,
    });
    const images = Array.from({ length: 13 }, (_, i) => {
      const bytes = buildEspAppImage({ codeSize: 2 * 1024 * 1024 - 100_000, seed: i + 1 });
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      firmware.put(bytes, sha256, bytes.length);
      return { name: "firmware.ota.bin", sha256, size: bytes.length, kind: "ota" as const };
    });
    let next = 0;
    return await medianMs(async () => {
      const r = await flash.imageToFlash("bench", images[next++]!, { jobId: null, approved: true });
      if (!r.ok || !r.signed) throw new Error("the bench image was not signed");
    }, 10);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
