import { describe, expect, it } from "vitest";
import { InventoryError } from "./errors.js";
import { applyPatch, EMPTY_METADATA, readMetadata, stripMetadata, writeMetadata } from "./metadata-block.js";

const CONFIG = "esphome:\n  name: dev   # the hostname\n\nesp32:\n  board: esp32dev\n";

describe("readMetadata", () => {
  it("reads pin, tags, mac and address", () => {
    const text =
      '# esphome-forge:\n#   pin: 2026.10.3\n#   tags: [kitchen, esp32]\n#   mac: "aa:bb:cc:dd:ee:ff"\n#   address: 10.0.0.4\n' +
      CONFIG;
    expect(readMetadata(text)).toEqual({
      meta: { pin: "2026.10.3", tags: ["kitchen", "esp32"], mac: "AA:BB:CC:DD:EE:FF", address: "10.0.0.4" },
      error: null,
      present: true,
    });
  });

  it("finds the block anywhere and stops at the first line that is not part of it", () => {
    const text = CONFIG + "# esphome-forge:\n#   tags:\n#     - a\n#     - b\n# a normal comment\n#   pin: 2026.1.0\n";
    expect(readMetadata(text).meta).toEqual({ ...EMPTY_METADATA, tags: ["a", "b"] });
  });

  it("tolerates a missing block and reports a garbled one without throwing", () => {
    expect(readMetadata(CONFIG)).toEqual({ meta: EMPTY_METADATA, error: null, present: false });
    const garbled = readMetadata("# esphome-forge:\n#   tags: [a, b\n" + CONFIG);
    expect(garbled.meta).toEqual(EMPTY_METADATA);
    expect(garbled.error).toMatch(/^metadata block: /);
    const partly = readMetadata(
      "# esphome-forge:\n#   pin: latest\n#   tags: [ok, Not-OK]\n#   colour: red\n#   mac: AA:BB:CC:DD:EE:FF\n",
    );
    expect(partly.meta).toEqual({ ...EMPTY_METADATA, mac: "AA:BB:CC:DD:EE:FF" });
    expect(partly.error).toMatch(/unknown key 'colour'/);
    expect(partly.error).toMatch(/pin: "latest"/);
    expect(partly.error).toMatch(/tags: "Not-OK"/);
  });
});

describe("writeMetadata", () => {
  const meta = { pin: "2026.6.5", tags: ["kitchen", "esp32", "123", "on"], mac: null, address: null };

  it("inserts a block at the top and leaves the rest of the file byte-for-byte", () => {
    const out = writeMetadata(CONFIG, meta);
    expect(out).toBe('# esphome-forge:\n#   pin: 2026.6.5\n#   tags: [kitchen, esp32, "123", "on"]\n\n' + CONFIG);
    expect(readMetadata(out).meta).toEqual(meta);
    expect(out.endsWith(CONFIG)).toBe(true);
  });

  it("replaces the block in place, keeping every other byte (CRLF, comments, BOM, trailing text)", () => {
    const before =
      "\uFEFF# header comment\r\n# esphome-forge:\r\n#   pin: 2026.1.0\r\n#   tags: [old]\r\nesphome:\r\n  name: dev # keep\r\n";
    const out = writeMetadata(before, { ...meta, tags: ["new"], mac: "AA:BB:CC:DD:EE:FF" });
    expect(out).toBe(
      '\uFEFF# header comment\r\n# esphome-forge:\r\n#   pin: 2026.6.5\r\n#   tags: [new]\r\n#   mac: "AA:BB:CC:DD:EE:FF"\r\nesphome:\r\n  name: dev # keep\r\n',
    );
  });

  it("removes the block when nothing is left, restoring the original file", () => {
    const inserted = writeMetadata(CONFIG, meta);
    expect(writeMetadata(inserted, EMPTY_METADATA)).toBe(CONFIG);
    expect(stripMetadata(inserted)).toBe(CONFIG);
    expect(writeMetadata(CONFIG, EMPTY_METADATA)).toBe(CONFIG);
  });

  it("keeps a block at the end of a file without a final newline", () => {
    const text = CONFIG + "# esphome-forge:\n#   pin: 2026.1.0";
    expect(writeMetadata(text, { ...EMPTY_METADATA, pin: "2026.6.5" })).toBe(
      CONFIG + "# esphome-forge:\n#   pin: 2026.6.5",
    );
  });
});

describe("applyPatch", () => {
  it("validates with the shared schemas and gives a clear error", () => {
    expect(() => applyPatch(EMPTY_METADATA, { tags: ["Kitchen!"] })).toThrow(InventoryError);
    expect(() => applyPatch(EMPTY_METADATA, { tags: ["Kitchen!"] })).toThrow(
      /invalid tags: "Kitchen!": tags are lowercase/,
    );
    expect(() => applyPatch(EMPTY_METADATA, { pinnedVersion: "latest" })).toThrow(/invalid pinnedVersion/);
    expect(() => applyPatch(EMPTY_METADATA, { mac: "nope" })).toThrow(/invalid mac/);
    expect(() => applyPatch(EMPTY_METADATA, { address: "a b" })).toThrow(/invalid address/);
  });

  it("reads, patches and writes a per-device trust_policy", () => {
    const text = "# esphome-forge:\n#   trust_policy: warn\n" + CONFIG;
    expect(readMetadata(text).meta.trustPolicy).toBe("warn");
    const bad = readMetadata("# esphome-forge:\n#   trust_policy: lax\n" + CONFIG);
    expect(bad.error).toMatch(/trust_policy: "lax": expected enforce, warn or off/);
    expect(bad.meta.trustPolicy).toBeUndefined();
    const off = applyPatch(readMetadata(text).meta, { trustPolicy: "off" });
    expect(writeMetadata(CONFIG, off)).toBe("# esphome-forge:\n#   trust_policy: off\n\n" + CONFIG);
    expect(writeMetadata(text, applyPatch(off, { trustPolicy: null }))).toBe(CONFIG);
    expect(() => applyPatch(EMPTY_METADATA, { trustPolicy: "lax" as never })).toThrow(/invalid trustPolicy/);
  });

  it("merges a patch: undefined keeps, null clears, tags are de-duplicated", () => {
    const m = applyPatch(
      { ...EMPTY_METADATA, pin: "2026.1.0", mac: "AA:BB:CC:DD:EE:FF" },
      { pinnedVersion: null, tags: ["a", "a", "b"], mac: "11-22-33-44-55-66" },
    );
    expect(m).toEqual({ pin: null, tags: ["a", "b"], mac: "11:22:33:44:55:66", address: null });
  });
});
