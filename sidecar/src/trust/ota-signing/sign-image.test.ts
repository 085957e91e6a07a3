// Signing and the device-side check, on synthetic ESP32 app images. OpenSSL's own RSA-PSS verifier
// (crypto.verify) checks the hand-made PSS encoding; espsecure checks the whole format in
// espsecure-interop.test.ts, and the fake device in sidecar/test/esphome-signed-ota.test.ts.
import { constants, createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { fakeDeviceCheck } from "../../../test-support/fake-signed-ota-device.js";
import { buildEspAppImage } from "../../devtools/esp-app-image-fixture.js";
import { checkSignedImage } from "./check-image.js";
import { parseEspAppImage } from "./esp-app-image.js";
import { signDigestPss, verifyDigestPss } from "./rsa-pss.js";
import { decodeBlock, sbv2PublicKey, SIG_BLOCK_SIZE, SIG_SECTOR_SIZE } from "./sbv2-block.js";
import { OtaSigningError, signImage } from "./sign-image.js";
import { KeyObjectSigner, type OtaSigner } from "./signer.js";

const rsa3072 = () => generateKeyPairSync("rsa", { modulusLength: 3072, publicExponent: 65537 });
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let a: KeyObjectSigner, b: KeyObjectSigner, c: KeyObjectSigner, d: KeyObjectSigner;
beforeAll(() => {
  [a, b, c, d] = [rsa3072(), rsa3072(), rsa3072(), rsa3072()].map((k) => new KeyObjectSigner(k.privateKey)) as [
    KeyObjectSigner,
    KeyObjectSigner,
    KeyObjectSigner,
    KeyObjectSigner,
  ];
});

describe("the SBv2 key region and RSA-PSS", () => {
  it("lays out n, e and the Montgomery constants the ROM needs", () => {
    const key = a.key;
    const n = BigInt(`0x${Buffer.from(key.region.subarray(0, 384)).reverse().toString("hex")}`);
    const e = key.region.readUInt32LE(384);
    const rinv = BigInt(`0x${Buffer.from(key.region.subarray(388, 772)).reverse().toString("hex")}`);
    const mPrime = BigInt(key.region.readUInt32LE(772));
    const jwk = a.key.publicKey.export({ format: "jwk" });
    expect(n).toBe(BigInt(`0x${Buffer.from(jwk.n!, "base64url").toString("hex")}`));
    expect(e).toBe(65537);
    expect(rinv).toBe((1n << 6144n) % n);
    expect((n * mPrime + 1n) % (1n << 32n)).toBe(0n); // M' = −n⁻¹ mod 2^32
    expect(key.digest).toBe(sha(key.region));
  });

  it("refuses keys that are not RSA-3072", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(() => sbv2PublicKey(small)).toThrow(/needs an RSA-3072 key, got rsa 2048/);
    expect(() => sbv2PublicKey(ec)).toThrow(/needs an RSA-3072 key, got ec/);
  });

  it("signs a precomputed digest so that OpenSSL's PSS verifier accepts it over the data (salt 32)", () => {
    const { privateKey, publicKey } = rsa3072();
    const data = Buffer.from("firmware bytes");
    const sig = signDigestPss(privateKey, createHash("sha256").update(data).digest());
    const opts = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING };
    expect(verify("sha256", data, { ...opts, saltLength: 32 }, sig)).toBe(true);
    expect(verify("sha256", Buffer.from("firmware bytez"), { ...opts, saltLength: 32 }, sig)).toBe(false);
    expect(sig.equals(signDigestPss(privateKey, createHash("sha256").update(data).digest()))).toBe(false); // random salt
  });
});

describe("verifyDigestPss (the check over a digest, without re-hashing the image)", () => {
  it("accepts OpenSSL's own PSS signatures with any salt length, and nothing else", () => {
    const { privateKey, publicKey } = rsa3072();
    const data = Buffer.from("the padded image");
    const digest = createHash("sha256").update(data).digest();
    const pss = (saltLength: number) =>
      sign("sha256", data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
    for (const salt of [32, 0, 20, constants.RSA_PSS_SALTLEN_MAX_SIGN])
      expect(verifyDigestPss(publicKey, digest, pss(salt)), `salt ${salt}`).toBe(true);
    const good = pss(32);
    expect(verifyDigestPss(publicKey, createHash("sha256").update("other").digest(), good)).toBe(false);
    const flipped = Buffer.from(good);
    flipped[100] = flipped[100]! ^ 1;
    expect(verifyDigestPss(publicKey, digest, flipped)).toBe(false);
    expect(verifyDigestPss(a.key.publicKey, digest, good)).toBe(false); // another key
    expect(verifyDigestPss(publicKey, digest, good.subarray(1))).toBe(false);
    expect(verifyDigestPss(publicKey, digest, Buffer.alloc(384, 0xff))).toBe(false); // ≥ n
    expect(verifyDigestPss(publicKey, digest, Buffer.alloc(384))).toBe(false);
    // PKCS#1 v1.5 is not PSS.
    expect(verifyDigestPss(publicKey, digest, sign("sha256", data, privateKey))).toBe(false);
  });
});

describe("signImage", () => {
  it("appends one block per key after the image; the image's own bytes and digests are kept apart", async () => {
    const image = buildEspAppImage({ projectVersion: "2.4.1" });
    expect(image.length % 65536).toBe(0); // --secure-pad-v2: the image ends on a 64 KiB boundary
    const s = await signImage(image, [a, b]);
    expect(s.signatureSectorOffset).toBe(image.length);
    expect(s.bytes.length).toBe(image.length + SIG_SECTOR_SIZE);
    expect(s.bytes.subarray(0, image.length).equals(image)).toBe(true);
    expect(s.unsignedSha256).toBe(sha(image));
    expect(s.signedSha256).toBe(sha(s.bytes));
    expect(s.imageDigest).toBe(sha(image));
    expect(s.keyDigests).toEqual([a.key.digest, b.key.digest]);
    expect(s.projectVersion).toBe("2.4.1");
    const blocks = [0, 1, 2].map((i) =>
      decodeBlock(s.bytes.subarray(image.length + i * SIG_BLOCK_SIZE, image.length + (i + 1) * SIG_BLOCK_SIZE)),
    );
    expect(blocks.map((x) => x.valid)).toEqual([true, true, false]);
    expect(blocks[2]!.problem).toBe("absent");
    expect(blocks.slice(0, 2).map((x) => x.keyDigest)).toEqual(s.keyDigests);
    expect(blocks[0]!.imageDigest.toString("hex")).toBe(s.imageDigest);
    expect(s.bytes.subarray(image.length + 2 * SIG_BLOCK_SIZE).every((x) => x === 0xff)).toBe(true);
    const raw = s.bytes.subarray(image.length, image.length + SIG_BLOCK_SIZE);
    expect(raw.readUInt32LE(1196)).toBe(crc32(raw.subarray(0, 1196)));
    expect(raw.subarray(1200).every((x) => x === 0)).toBe(true);
  });

  it("pads an image that does not end on a sector with 0xFF, and signs the padded bytes", async () => {
    const image = buildEspAppImage({ securePad: false, codeSize: 10_000 });
    expect(image.length % SIG_SECTOR_SIZE).not.toBe(0);
    const s = await signImage(image, [a]);
    expect(s.signatureSectorOffset).toBe(Math.ceil(image.length / 4096) * 4096);
    expect(s.bytes.subarray(image.length, s.signatureSectorOffset).every((x) => x === 0xff)).toBe(true);
    expect(s.imageDigest).toBe(sha(s.bytes.subarray(0, s.signatureSectorOffset)));
    expect(s.unsignedSha256).toBe(sha(image));
  });

  it("refuses what a device would refuse or what would put the blocks in the wrong place", async () => {
    const image = buildEspAppImage({ codeSize: 20_000 });
    const fail = (img: Buffer, signers: OtaSigner[] = [a]) => expect(signImage(img, signers)).rejects;
    await fail(image, []).toThrow(OtaSigningError);
    await fail(image, []).toThrow(/no active device signing key/);
    await fail(image, [a, b, c, d]).toThrow(/at most 3 signature blocks, got 4/);
    await fail(image, [a, a]).toThrow(/the same key is listed twice/);
    await fail(Buffer.from("not firmware at all, just text")).toThrow(/cannot sign: not an ESP app image/);
    const damaged = Buffer.from(image);
    damaged[5000] = damaged[5000]! ^ 1;
    await fail(damaged).toThrow(/damaged \(checksum/);
    const hashBroken = Buffer.from(image);
    hashBroken[image.length - 5] = hashBroken[image.length - 5]! ^ 1; // inside the appended SHA-256
    await fail(hashBroken).toThrow(/damaged \(appended SHA-256 does not match/);
    expect(checkSignedImage(hashBroken, { trustedKeyDigests: [a.key.digest] })).toMatchObject({
      refusal: "image_invalid",
      reason: "the image is damaged (appended SHA-256 mismatch)",
    });
    const signed = (await signImage(image, [a])).bytes;
    await fail(signed).toThrow(/already carries signature blocks/);
    await fail(Buffer.concat([image, Buffer.alloc(5000, 0x42)])).toThrow(/5000 bytes follow the/);
    await fail(image.subarray(0, image.length - 40)).toThrow(/cannot sign: .*missing/);
    await expect(signImage(image, [a])).resolves.toBeTruthy();
  });

  it("checks every signature before using it: a signer with the wrong key or garbage output is refused", async () => {
    const image = buildEspAppImage({ codeSize: 20_000 });
    const liar: OtaSigner = { key: a.key, signDigest: (dg) => b.signDigest(dg) };
    const garbage: OtaSigner = { key: a.key, signDigest: () => Promise.resolve(Buffer.alloc(384, 7)) };
    const short: OtaSigner = { key: a.key, signDigest: () => Promise.resolve(Buffer.alloc(16)) };
    for (const s of [liar, garbage, short])
      await expect(signImage(image, [s])).rejects.toThrow(/returned a signature that does not verify/);
  });
});

describe("checkSignedImage: what the device decides", () => {
  it("accepts an image signed by a trusted key in any block, and names the key", async () => {
    const image = buildEspAppImage({ codeSize: 50_000 });
    const s = await signImage(image, [a, b]);
    const byB = checkSignedImage(s.bytes, { trustedKeyDigests: [b.key.digest] });
    expect(byB).toMatchObject({ ok: true, verifiedBy: b.key.digest, refusal: null, imageDigest: s.imageDigest });
    expect(byB.blocks.map((x) => x.state)).toEqual(["untrusted", "verified"]);
    const byA = checkSignedImage(s.bytes, { trustedKeyDigests: [a.key.digest.toUpperCase(), c.key.digest] });
    expect(byA).toMatchObject({ ok: true, verifiedBy: a.key.digest });
    expect(byA.blocks).toHaveLength(1); // the device stops at the first block that verifies
  });

  it("refuses unsigned, other-key-signed, wrongly signed and damaged images, with the device's error byte", async () => {
    const image = buildEspAppImage({ codeSize: 50_000, seed: 3 });
    const trust = { trustedKeyDigests: [a.key.digest, b.key.digest] };
    expect(checkSignedImage(image, trust)).toMatchObject({ ok: false, refusal: "unsigned", deviceError: 0x8d });
    const byC = await signImage(image, [c]);
    expect(checkSignedImage(byC.bytes, trust)).toMatchObject({
      ok: false,
      refusal: "untrusted_key",
      deviceError: 0x8d,
    });
    // Another image of the same shape with a's signature sector transplanted: a trusted key, a wrong signature.
    const other = buildEspAppImage({ codeSize: 50_000, seed: 4 });
    const byA = await signImage(image, [a]);
    const transplanted = Buffer.concat([other, byA.bytes.subarray(image.length)]);
    const bad = checkSignedImage(transplanted, trust);
    expect(bad).toMatchObject({ ok: false, refusal: "bad_signature", deviceError: 0x8d });
    expect(bad.blocks[0]).toMatchObject({ state: "bad_signature", keyDigest: a.key.digest, digestMatches: false });
    // One flipped bit in the code: IDF's image check fails first (reported as an invalid signature too).
    const flipped = Buffer.from(byA.bytes);
    flipped[40_000] = flipped[40_000]! ^ 0x80;
    expect(checkSignedImage(flipped, trust)).toMatchObject({ ok: false, refusal: "image_invalid", deviceError: 0x8d });
    // A corrupted CRC makes the block absent, as on the device.
    const crc = Buffer.from(byA.bytes);
    crc[image.length + 1196] = crc[image.length + 1196]! ^ 1;
    expect(checkSignedImage(crc, trust)).toMatchObject({ ok: false, refusal: "unsigned" });
    expect(checkSignedImage(Buffer.from("hello"), trust)).toMatchObject({ ok: false, refusal: "not_an_app_image" });
  });

  it("an attacker's own blocks appended next to a trusted one change nothing; alone they are refused", async () => {
    const image = buildEspAppImage({ codeSize: 30_000, seed: 5 });
    const mixed = await signImage(image, [c, d, a]);
    expect(checkSignedImage(mixed.bytes, { trustedKeyDigests: [a.key.digest] })).toMatchObject({
      ok: true,
      verifiedBy: a.key.digest,
    });
    const attackerOnly = await signImage(image, [c, d]);
    expect(checkSignedImage(attackerOnly.bytes, { trustedKeyDigests: [a.key.digest] }).refusal).toBe("untrusted_key");
  });

  it("downgrade protection: an older project version is refused (0x93), equal or newer passes", async () => {
    const sign = async (v: string) =>
      (await signImage(buildEspAppImage({ codeSize: 20_000, projectVersion: v }), [a])).bytes;
    const policy = (running: string) => ({
      trustedKeyDigests: [a.key.digest],
      downgradeProtection: { runningVersion: running },
    });
    expect(checkSignedImage(await sign("1.9.12"), policy("1.10.0"))).toMatchObject({
      ok: false,
      refusal: "downgrade",
      deviceError: 0x93,
      projectVersion: "1.9.12",
    });
    expect(checkSignedImage(await sign("1.10.0"), policy("1.10"))).toMatchObject({ ok: true });
    expect(checkSignedImage(await sign("2.0"), policy("1.10.0"))).toMatchObject({ ok: true });
    // Without protection the version does not matter.
    expect(checkSignedImage(await sign("0.1"), { trustedKeyDigests: [a.key.digest] }).ok).toBe(true);
  });

  it("reads the app description the downgrade check compares", () => {
    const img = parseEspAppImage(buildEspAppImage({ projectVersion: "3.1.4", projectName: "acme.kitchen" }));
    expect(img.app).toMatchObject({ version: "3.1.4", projectName: "acme.kitchen", idfVersion: "v5.5.1" });
    expect(img).toMatchObject({ checksumOk: true, hashOk: true, hashAppended: true, segmentCount: 4 });
  });
});

describe("Forge's check and the fake device (written separately from ESPHome's device code) agree", () => {
  it("on every kind of image the tests flash", async () => {
    const image = buildEspAppImage({ codeSize: 40_000, seed: 11, projectVersion: "2.0.0" });
    const byA = await signImage(image, [a]);
    const crcBroken = Buffer.from(byA.bytes);
    crcBroken[image.length + 10] = crcBroken[image.length + 10]! ^ 1;
    const cases: [string, Buffer][] = [
      ["unsigned", image],
      ["trusted", byA.bytes],
      ["dual", (await signImage(image, [c, a])).bytes],
      ["stranger", (await signImage(image, [c])).bytes],
      [
        "transplanted",
        Buffer.concat([buildEspAppImage({ codeSize: 40_000, seed: 12 }), byA.bytes.subarray(image.length)]),
      ],
      ["crc broken", crcBroken],
      ["older", (await signImage(buildEspAppImage({ codeSize: 40_000, projectVersion: "1.9" }), [a])).bytes],
    ];
    for (const [name, bytes] of cases) {
      const policy = { trustedKeyDigests: [a.key.digest], downgradeProtection: { runningVersion: "2.0.0" } };
      const ours = checkSignedImage(bytes, policy);
      const device = fakeDeviceCheck(bytes, { trustedKeyDigests: [a.key.digest], runningVersion: "2.0.0" });
      expect([name, ours.deviceError]).toEqual([name, device.error]);
    }
  });
});
