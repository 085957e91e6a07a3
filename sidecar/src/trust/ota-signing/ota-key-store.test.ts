// The key store on a real folder: files and modes, the index across restarts, limits and refusals.
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createPublicKey } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test-support/helpers.js";
import { buildEspAppImage } from "../../devtools/esp-app-image-fixture.js";
import { checkSignedImage } from "./check-image.js";
import { OtaKeyError, OtaKeyStore } from "./ota-key-store.js";
import { sbv2PublicKey } from "./sbv2-block.js";
import { signImage } from "./sign-image.js";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("OtaKeyStore", () => {
  it("creates RSA-3072 keys in 0600 files in a 0700 folder, listed by their SBv2 digest, kept across restarts", async () => {
    const dir = join(tempDir("forge-otakeys-"), "trust", "keys", "ota");
    const store = new OtaKeyStore(dir, () => new Date("2026-12-01T10:00:00Z"));
    const k = await store.create("kitchen fleet");
    expect(k).toMatchObject({ name: "kitchen fleet", state: "active", createdAt: "2026-12-01T10:00:00.000Z" });
    expect(k.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(sbv2PublicKey(createPublicKey(k.publicKeyPem)).digest).toBe(k.digest);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, k.signer.file))).toBe(0o600);
    expect(readFileSync(join(dir, k.signer.file), "utf8")).toContain("BEGIN PRIVATE KEY");
    expect(JSON.stringify(store.list())).not.toContain("PRIVATE");
    expect((await store.create()).name).toBe("ota-2026-12-01");
    const again = new OtaKeyStore(dir);
    expect(again.list()).toEqual(store.list());
    expect(again.get(k.digest.slice(0, 8))).toEqual(k);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("signs with the active keys in creation order; rotation adds a key and says what to do; retire stops one", async () => {
    const store = new OtaKeyStore(tempDir("forge-otakeys-"));
    const first = await store.create("first");
    const rot = await store.rotate("second");
    expect(rot.active.map((k) => k.digest)).toEqual([first.digest, rot.added.digest]);
    expect(rot.steps).toHaveLength(3);
    expect(rot.steps[0]).toContain(rot.added.digest);
    expect(rot.steps[2]).toContain(`ota-keys retire ${first.digest.slice(0, 16)}`);
    const image = buildEspAppImage({ codeSize: 20_000 });
    const dual = await signImage(image, store.signers());
    expect(dual.keyDigests).toEqual([first.digest, rot.added.digest]);
    // A device still trusting only the old key and one already trusting only the new key both accept it.
    expect(checkSignedImage(dual.bytes, { trustedKeyDigests: [first.digest] }).ok).toBe(true);
    expect(checkSignedImage(dual.bytes, { trustedKeyDigests: [rot.added.digest] }).ok).toBe(true);
    expect(store.retire(first.digest.slice(0, 12))).toMatchObject({ state: "retired", digest: first.digest });
    const single = await signImage(image, store.signers());
    expect(single.keyDigests).toEqual([rot.added.digest]);
    expect(checkSignedImage(single.bytes, { trustedKeyDigests: [first.digest] }).refusal).toBe("untrusted_key");
    expect(store.list().map((k) => k.state)).toEqual(["retired", "active"]);
  });

  it("refuses: a fourth active key, retiring the last active one without force, unknown or ambiguous ids, bad names", async () => {
    const store = new OtaKeyStore(tempDir("forge-otakeys-"));
    await expect(store.rotate()).rejects.toThrow(/no active key to rotate from/);
    const keys = [await store.create("a"), await store.create("b"), await store.create("c")];
    await expect(store.create("d")).rejects.toThrow(OtaKeyError);
    await expect(store.create("d")).rejects.toThrow(/3 keys are active/);
    store.retire(keys[0]!.digest);
    store.retire(keys[1]!.digest);
    expect(() => store.retire(keys[2]!.digest)).toThrow(/only active key/);
    expect(() => store.retire(keys[0]!.digest)).toThrow(/already retired/);
    expect(store.retire(keys[2]!.digest, { force: true }).state).toBe("retired");
    expect(store.signers()).toEqual([]);
    expect(() => store.get("deadbeef00")).toThrow(/no device signing key/);
    expect(() => store.get("../../etc")).toThrow(/not a key digest/);
    expect(() => store.get("abc")).toThrow(/not a key digest/);
    await expect(store.create("x\ny")).rejects.toThrow(/key name/);
  });

  it("a private key file others can read is refused when signing", async () => {
    const dir = tempDir("forge-otakeys-");
    const store = new OtaKeyStore(dir);
    const k = await store.create();
    chmodSync(join(dir, k.signer.file), 0o644);
    expect(() => store.signers()).toThrow(/accessible by others \(mode 644\)/);
    expect(existsSync(join(dir, "index.json"))).toBe(true);
  });
});
