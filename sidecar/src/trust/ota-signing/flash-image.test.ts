// The image to flash for an approval (flash-image.ts) over a real database, real key files and the
// fake device's acceptance check (test-support/fake-signed-ota-device.ts, written from ESPHome's device
// code, independent of Forge's signing): what gets signed, what is refused before a byte is sent, and
// how the keys a device trusts follow it through a rotation.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { DeviceSignedOtaConfig, FirmwareImage } from "@esphome-forge/shared";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeDeviceCheck } from "../../../test-support/fake-signed-ota-device.js";
import { tempDir } from "../../../test-support/helpers.js";
import { openDatabase } from "../../db/database.js";
import { buildEspAppImage } from "../../devtools/esp-app-image-fixture.js";
import { deviceEnforcedByForge, deviceOtaSigning } from "./device-side.js";
import { OtaFlashImages } from "./flash-image.js";
import { OtaKeyStore, type OtaKeyRecord } from "./ota-key-store.js";
import { SignedImages } from "./signed-images.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface World {
  flash: OtaFlashImages;
  records: SignedImages;
  archive: Map<string, Buffer>;
  config: Map<string, DeviceSignedOtaConfig | null>;
  advertised: Map<string, boolean | null>;
  installed: Map<string, string>;
  logged: Record<string, unknown>[];
}

let keys: OtaKeyStore;
let keyA: OtaKeyRecord;
let keyB: OtaKeyRecord;
let stranger: OtaKeyRecord;

beforeAll(async () => {
  keys = new OtaKeyStore(join(tempDir("forge-ota-flash-"), "ota"));
  keyA = await keys.create("A");
  const other = new OtaKeyStore(join(tempDir("forge-ota-stranger-"), "ota"));
  stranger = await other.create("stranger");
});

function world(): World {
  const db = openDatabase(join(tempDir("forge-ota-db-"), "forge.db"));
  const records = new SignedImages(db);
  const w: Omit<World, "flash"> = {
    records,
    archive: new Map(),
    config: new Map(),
    advertised: new Map(),
    installed: new Map(),
    logged: [],
  };
  const flash = new OtaFlashImages({
    keys,
    records,
    firmware: {
      read: (s) => {
        const b = w.archive.get(s);
        if (!b) throw new Error(`not archived: ${s}`);
        return b;
      },
      putAsync: (b, s) => {
        expect(sha(b)).toBe(s);
        w.archive.set(s, b);
        return Promise.resolve();
      },
    },
    config: (id) => w.config.get(id) ?? null,
    advertised: (id) => w.advertised.get(id) ?? null,
    installed: (id) => w.installed.get(id) ?? null,
    approvalLogIndex: () => 41,
    logSigned: (data) => (w.logged.push(data), 42),
  });
  return { ...w, flash };
}

const enforcing = (digests: string[], downgradeProtection = false): DeviceSignedOtaConfig => ({
  scheme: "rsa3072",
  externalSigning: true,
  verificationKeys: digests,
  downgradeProtection,
});

function archived(w: World, opts: { version?: string; seed?: number } = {}): FirmwareImage {
  const bytes = buildEspAppImage({ codeSize: 48 * 1024, projectVersion: opts.version ?? "1.0.0", seed: opts.seed });
  w.archive.set(sha(bytes), bytes);
  return { name: "firmware.ota.bin", sha256: sha(bytes), size: bytes.length, kind: "ota" };
}

let w: World;
beforeEach(() => {
  w = world();
});

describe("imageToFlash: signing approved images", () => {
  it("signs an approved image for a device that trusts Forge's key; the fake device accepts it", async () => {
    w.config.set("kitchen", enforcing([keyA.digest]));
    const img = archived(w);
    const r = await w.flash.imageToFlash("kitchen", img, { jobId: 7, approved: true });
    if (!r.ok) throw new Error(r.reason);
    expect(r.image.sha256).not.toBe(img.sha256);
    expect(r.image.name).toBe("firmware.ota.signed.bin");
    const bytes = w.archive.get(r.image.sha256)!;
    expect(bytes.subarray(0, img.size).equals(w.archive.get(img.sha256)!)).toBe(true);
    expect(fakeDeviceCheck(bytes, { trustedKeyDigests: [keyA.digest] }).error).toBeNull();
    // provenance and signature linked: the record and the log entry name the approved image and its approval
    expect(w.records.approvedFor(r.image.sha256)).toBe(img.sha256);
    expect(r.signed).toMatchObject({ keyDigests: [keyA.digest], approvalLogIndex: 41, logIndex: 42, jobId: 7 });
    expect(w.logged[0]).toMatchObject({ unsignedSha256: img.sha256, signedSha256: r.image.sha256 });
    // the same approval with the same keys is signed once
    const again = await w.flash.imageToFlash("kitchen", img, { jobId: 8, approved: true });
    expect(again.ok && again.image.sha256).toBe(r.image.sha256);
    expect(w.logged).toHaveLength(1);
  });

  it("never signs an image the gate did not approve (a hostile worker's implant under warn)", async () => {
    w.config.set("kitchen", enforcing([keyA.digest]));
    const implant = archived(w, { seed: 666 });
    const r = await w.flash.imageToFlash("kitchen", implant, { jobId: 9, approved: false });
    expect(r.ok && r.image.sha256).toBe(implant.sha256);
    expect(w.records.approvedFor(implant.sha256)).toBeNull();
    expect([...w.archive.keys()]).toEqual([implant.sha256]);
  });

  it("does not sign for a config that trusts none of Forge's keys, and says why", async () => {
    w.config.set("porch", enforcing([stranger.digest]));
    const img = archived(w);
    const r = await w.flash.imageToFlash("porch", img, { jobId: 1, approved: true });
    if (!r.ok) throw new Error(r.reason);
    expect(r.image.sha256).toBe(img.sha256);
    expect(r.notes.join("\n")).toMatch(/none of Forge's active keys is in verification_keys/);
  });

  it("leaves a device without signed OTA alone", async () => {
    const img = archived(w);
    const r = await w.flash.imageToFlash("plain", img, { jobId: 1, approved: true });
    expect(r).toEqual({ ok: true, image: img, signed: null, notes: [] });
    expect(deviceOtaSigning(null, null, w.flash.running("plain"), [keyA.digest])).toBeNull();
  });
});

describe("imageToFlash: what the device would refuse is refused before a byte is sent", () => {
  async function flashSigned(id: string, cfg: DeviceSignedOtaConfig, version = "1.4.0"): Promise<string> {
    w.config.set(id, cfg);
    const r = await w.flash.imageToFlash(id, archived(w, { version, seed: 3 }), { jobId: 1, approved: true });
    if (!r.ok) throw new Error(r.reason);
    w.installed.set(id, r.image.sha256); // the flash succeeded: the trust engine's installed digest
    return r.image.sha256;
  }

  it("an unsigned image to a device whose running firmware enforces signed OTA", async () => {
    await flashSigned("kitchen", enforcing([keyA.digest]));
    const run = w.flash.running("kitchen");
    expect(run).toMatchObject({ enforced: true, trustedKeys: [keyA.digest], projectVersion: "1.4.0" });
    expect(deviceEnforcedByForge(run, [keyA.digest])).toBe(true);
    expect(deviceEnforcedByForge(run, [stranger.digest])).toBe(false);
    w.config.set("kitchen", null); // the config dropped signed OTA: the image is not signed
    const img = archived(w, { seed: 4 });
    const r = await w.flash.imageToFlash("kitchen", img, { jobId: 2, approved: true });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/enforces signed OTA.*carries no signature block/) });
    expect(fakeDeviceCheck(w.archive.get(img.sha256)!, { trustedKeyDigests: [keyA.digest] }).error).toBe(0x8d);
  });

  it("an image signed only by a key the running firmware does not trust", async () => {
    await flashSigned("kitchen", enforcing([stranger.digest, keyA.digest]));
    // Pretend the running firmware trusts only the stranger's key: Forge's image must not go.
    w.records.add({
      ...w.records.bySigned(w.installed.get("kitchen")!)!,
      signedSha256: "f".repeat(64),
      trustedKeys: [stranger.digest],
    });
    w.installed.set("kitchen", "f".repeat(64));
    const r = await w.flash.imageToFlash("kitchen", archived(w, { seed: 5 }), { jobId: 2, approved: true });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/signed only by keys the device does not trust/) });
  });

  it("a lower project version under downgrade protection; equal or newer go", async () => {
    await flashSigned("kitchen", enforcing([keyA.digest], true), "1.4.0");
    const older = archived(w, { version: "1.3.9", seed: 6 });
    const r = await w.flash.imageToFlash("kitchen", older, { jobId: 2, approved: true });
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(/downgrade protection.*1\.3\.9 is older than the running 1\.4\.0/),
    });
    const signedOlder = w.records.find(older.sha256, "kitchen", [keyA.digest])!;
    const device = { trustedKeyDigests: [keyA.digest], runningVersion: "1.4.0" };
    expect(fakeDeviceCheck(w.archive.get(signedOlder.signedSha256)!, device).error).toBe(0x93);
    for (const version of ["1.4", "1.4.1"]) {
      const ok = await w.flash.imageToFlash("kitchen", archived(w, { version, seed: 7 }), { jobId: 3, approved: true });
      expect(ok.ok).toBe(true);
    }
  });

  it("a device that advertises ota_signed but whose keys Forge does not know: unsigned images are refused", async () => {
    w.advertised.set("garage", true);
    const r = await w.flash.imageToFlash("garage", archived(w), { jobId: 1, approved: true });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/ota_signed.*not signed/) });
    expect(deviceOtaSigning(null, true, w.flash.running("garage"), [keyA.digest])).toMatchObject({
      otaSigned: true,
      configured: false,
      advertised: true,
      trustedKeys: null,
    });
  });
});

describe("rotation: two keys, then retire", () => {
  it("dual-signs while both are active, tracks per device what its firmware trusts, and refuses after retiring too early", async () => {
    w.config.set("old", enforcing([keyA.digest]));
    const first = await w.flash.imageToFlash("old", archived(w, { seed: 10 }), { jobId: 1, approved: true });
    if (!first.ok) throw new Error(first.reason);
    w.installed.set("old", first.image.sha256);

    const rot = await keys.rotate("B");
    keyB = rot.added;
    expect(rot.steps.join("\n")).toMatch(/verification_keys/);
    const img = archived(w, { seed: 11 });
    const both = await w.flash.imageToFlash("old", img, { jobId: 2, approved: true });
    if (!both.ok) throw new Error(both.reason);
    expect(both.signed!.keyDigests).toEqual([keyA.digest, keyB.digest]);
    expect(both.notes.join("\n")).toMatch(/does not trust Forge's key .* yet/);
    const bytes = w.archive.get(both.image.sha256)!;
    expect(fakeDeviceCheck(bytes, { trustedKeyDigests: [keyA.digest] }).error).toBeNull();
    expect(fakeDeviceCheck(bytes, { trustedKeyDigests: [keyB.digest] }).error).toBeNull();

    // The device's next config trusts both keys; once that firmware runs, it trusts B.
    w.config.set("old", enforcing([keyA.digest, keyB.digest]));
    const next = await w.flash.imageToFlash("old", archived(w, { seed: 12 }), { jobId: 3, approved: true });
    if (!next.ok) throw new Error(next.reason);
    w.installed.set("old", next.image.sha256);
    expect(w.flash.running("old").trustedKeys).toEqual([keyA.digest, keyB.digest]);

    // A second device never got the firmware that trusts B.
    w.config.set("laggard", enforcing([keyA.digest]));
    const lag = await w.flash.imageToFlash("laggard", archived(w, { seed: 13 }), { jobId: 4, approved: true });
    if (!lag.ok) throw new Error(lag.reason);
    w.installed.set("laggard", lag.image.sha256);

    keys.retire(keyA.digest);
    const afterOld = await w.flash.imageToFlash("old", archived(w, { seed: 14 }), { jobId: 5, approved: true });
    expect(afterOld.ok && afterOld.signed!.keyDigests).toEqual([keyB.digest]);
    const afterLag = await w.flash.imageToFlash("laggard", archived(w, { seed: 15 }), { jobId: 6, approved: true });
    expect(afterLag).toEqual({
      ok: false,
      reason: expect.stringMatching(/does not trust|none of Forge's active keys/),
    });
  });
});
