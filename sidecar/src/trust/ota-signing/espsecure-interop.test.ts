// Independent checks with Espressif's own tools (PyPI esptool, installed by scripts/ensure-trust-tools.sh),
// through their command lines only:
//   - `esptool image-info` accepts the synthetic app images the signed-OTA tests use;
//   - `espsecure verify-signature --version 2` verifies images Forge signed, with one key and with two
//     (each key verifies its own block; an unrelated key verifies none);
//   - `espsecure digest-sbv2-public-key` computes the same key digest Forge lists for devices;
//   - images espsecure signed pass Forge's device-side check (the other direction).
// Skips, saying why, when espsecure is not installed.
import { execFile } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../test-support/helpers.js";
import { buildEspAppImage } from "../../devtools/esp-app-image-fixture.js";
import { checkSignedImage } from "./check-image.js";
import { signImage } from "./sign-image.js";
import { KeyObjectSigner } from "./signer.js";

const run = promisify(execFile);
const cache = process.env.FORGE_CACHE ?? join(homedir(), ".cache", "esphome-forge");
const espsecure = process.env.FORGE_ESPSECURE ?? join(cache, "trust-tools", "esptool-5.6.0", "bin", "espsecure");
const esptool = process.env.FORGE_ESPTOOL ?? join(cache, "trust-tools", "esptool-5.6.0", "bin", "esptool");
const have = existsSync(espsecure) && existsSync(esptool);
if (!have) console.warn(`espsecure interop skipped: ${espsecure} missing (run scripts/ensure-trust-tools.sh)`);

let dir: string;
const file = (name: string, data: string | Buffer) => {
  writeFileSync(join(dir, name), data);
  return join(dir, name);
};
const pem = (k: KeyObject) =>
  k.export(k.type === "private" ? { type: "pkcs8", format: "pem" } : { type: "spki", format: "pem" });

async function tool(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, { timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

const keys = Array.from({ length: 3 }, () =>
  generateKeyPairSync("rsa", { modulusLength: 3072, publicExponent: 65537 }),
);
const signers = keys.map((k) => new KeyObjectSigner(k.privateKey));
const pub = (i: number) => join(dir, `key${i}.pub.pem`);

beforeAll(() => {
  dir = tempDir("forge-espsecure-");
  keys.forEach((k, i) => {
    file(`key${i}.pub.pem`, pem(k.publicKey));
    file(`key${i}.pem`, pem(k.privateKey));
  });
});

describe.skipIf(!have)("espsecure (esptool 5.6.0) against Forge's signed OTA", () => {
  it("esptool image-info accepts the synthetic app images (checksum and validation hash valid)", async () => {
    for (const [name, img] of [
      ["padded.bin", buildEspAppImage({ codeSize: 100_000 })],
      ["unpadded.bin", buildEspAppImage({ codeSize: 100_000, securePad: false, chipId: 5 })],
    ] as const) {
      const r = await tool(esptool, ["image-info", file(name, img)]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/Checksum: 0x[0-9a-f]{2} \(valid\)/);
      expect(r.out).toMatch(/Validation hash: [0-9a-f]{64} \(valid\)/);
    }
  });

  it("computes the same SBv2 key digest Forge gives devices", async () => {
    for (const [i, s] of signers.entries()) {
      const out = join(dir, `digest${i}.bin`);
      const r = await tool(espsecure, ["digest-sbv2-public-key", "--keyfile", pub(i), "--output", out]);
      expect(r.code, r.out).toBe(0);
      expect(readFileSync(out).toString("hex")).toBe(s.key.digest);
    }
  });

  it("verifies a Forge-signed image with its one key, and refuses another key", async () => {
    const signed = await signImage(buildEspAppImage({ codeSize: 150_000, seed: 7 }), [signers[0]!]);
    const f = file("one.signed.bin", signed.bytes);
    const ok = await tool(espsecure, ["verify-signature", "--version", "2", "--keyfile", pub(0), f]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain("Signature block 0 verification successful using the supplied key (RSA)");
    const other = await tool(espsecure, ["verify-signature", "--version", "2", "--keyfile", pub(1), f]);
    expect(other.code).not.toBe(0);
    expect(other.out).toContain("Signature could not be verified with the provided key");
  });

  it("verifies a dual-signed image (rotation): each key verifies its own block, an unrelated key none", async () => {
    const image = buildEspAppImage({ codeSize: 150_000, seed: 8, securePad: false });
    const signed = await signImage(image, [signers[0]!, signers[1]!]);
    const f = file("two.signed.bin", signed.bytes);
    for (const i of [0, 1]) {
      const r = await tool(espsecure, ["verify-signature", "--version", "2", "--keyfile", pub(i), f]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`Signature block ${i} verification successful using the supplied key (RSA)`);
      expect(r.out).toContain(`Signature block ${1 - i} is not signed by the supplied key`);
    }
    const none = await tool(espsecure, ["verify-signature", "--version", "2", "--keyfile", pub(2), f]);
    expect(none.code).not.toBe(0);
    // A bit flipped in the signed image: espsecure notices the image digest no longer matches.
    const tampered = Buffer.from(signed.bytes);
    tampered[70_000] = tampered[70_000]! ^ 1;
    const t = await tool(espsecure, [
      "verify-signature",
      "--version",
      "2",
      "--keyfile",
      pub(0),
      file("t.bin", tampered),
    ]);
    expect(t.code).not.toBe(0);
    expect(t.out).toMatch(/digest does not match/i);
  });

  it("images espsecure signed (one key, then a second appended) pass Forge's device-side check", async () => {
    const image = file("es.bin", buildEspAppImage({ codeSize: 120_000, seed: 9, projectVersion: "4.2.0" }));
    const once = join(dir, "es.signed.bin");
    const r1 = await tool(espsecure, [
      "sign-data",
      "--version",
      "2",
      "--keyfile",
      join(dir, "key1.pem"),
      "--output",
      once,
      image,
    ]);
    expect(r1.code, r1.out).toBe(0);
    const twice = join(dir, "es.signed2.bin");
    const r2 = await tool(espsecure, [
      "sign-data",
      "--version",
      "2",
      "--append-signatures",
      "--keyfile",
      join(dir, "key2.pem"),
      "--output",
      twice,
      once,
    ]);
    expect(r2.code, r2.out).toBe(0);
    const bytes = readFileSync(twice);
    expect(checkSignedImage(readFileSync(once), { trustedKeyDigests: [signers[1]!.key.digest] })).toMatchObject({
      ok: true,
      verifiedBy: signers[1]!.key.digest,
    });
    const both = checkSignedImage(bytes, { trustedKeyDigests: [signers[2]!.key.digest] });
    expect(both).toMatchObject({ ok: true, verifiedBy: signers[2]!.key.digest, projectVersion: "4.2.0" });
    expect(both.blocks.map((b) => b.digestMatches)).toEqual([true, true]);
    expect(checkSignedImage(bytes, { trustedKeyDigests: [signers[0]!.key.digest] }).refusal).toBe("untrusted_key");
    // And espsecure's own signature-info names the same key digests Forge reports.
    const info = await tool(espsecure, ["signature-info-v2", twice]);
    expect(info.code, info.out).toBe(0);
    const listed = [...info.out.matchAll(/Public key digest for block (\d): ([0-9a-f ]+)/g)].map((m) => [
      Number(m[1]),
      m[2]!.replace(/ /g, ""),
    ]);
    expect(listed).toEqual([
      [0, signers[1]!.key.digest],
      [1, signers[2]!.key.digest],
    ]);
  });
});
