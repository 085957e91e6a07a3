import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bundleDigest, createBundle, MANIFEST, readBundle } from "./bundle.js";
import { BundleFormatError, readTar, readTarGz, writeTar } from "./tar.js";

describe("tar", () => {
  it("round-trips text, binary and long names, in order, with ustar headers ESPHome's reader accepts", () => {
    const long = `${"deep/".repeat(30)}file.yaml`;
    const members = [
      { path: "a.yaml", data: Buffer.from("esphome:\n  name: a\n") },
      { path: "fonts/x.ttf", data: Buffer.from([0, 1, 2, 255, 254]) },
      { path: long, data: Buffer.alloc(1500, 7) },
      { path: "empty.txt", data: Buffer.alloc(0) },
    ];
    const tar = writeTar(members);
    expect(tar.length % 512).toBe(0);
    expect(tar.toString("latin1", 257, 262)).toBe("ustar");
    expect(readTar(tar)).toEqual(members);
  });

  it("refuses links and truncated archives", () => {
    const tar = writeTar([{ path: "x", data: Buffer.from("hi") }]);
    const link = Buffer.from(tar);
    link[156] = "2".charCodeAt(0);
    expect(() => readTar(link)).toThrow(BundleFormatError);
    const big = writeTar([{ path: "big", data: Buffer.alloc(2000, 1) }]);
    expect(() => readTar(big.subarray(0, 1024))).toThrow(/truncated/);
    expect(() => readTarGz(Buffer.from("not gzip"))).toThrow(/gzip/);
  });
});

describe("bundle", () => {
  const files = [
    { path: "kitchen.yaml", content: "esphome:\n  name: kitchen\n" },
    { path: "secrets.yaml", content: "wifi_ssid: x\n" },
    {
      path: "img/logo.png",
      content: Buffer.from([137, 80, 78, 71, 0, 1]).toString("base64"),
      encoding: "base64" as const,
    },
  ];

  it("writes the manifest first and reads back the same files and digest", () => {
    const { data, digest } = createBundle(files, "kitchen.yaml", "2026.6.5");
    const raw = readTarGz(data);
    expect(raw[0]!.path).toBe(MANIFEST);
    expect(raw.slice(1).map((m) => m.path)).toEqual(["img/logo.png", "kitchen.yaml", "secrets.yaml"]);
    const back = readBundle(data);
    expect(back.manifest).toMatchObject({
      manifest_version: 1,
      esphome_version: "2026.6.5",
      config_filename: "kitchen.yaml",
      has_secrets: true,
    });
    expect(back.digest).toBe(digest);
    expect([...back.files].sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [...files].sort((a, b) => a.path.localeCompare(b.path)),
    );
  });

  it("digests the members, not the gzip bytes or the manifest's ESPHome version", () => {
    const a = createBundle(files, "kitchen.yaml", "2026.6.5");
    const b = createBundle([...files].reverse(), "kitchen.yaml", "2026.10.0");
    expect(b.digest).toBe(a.digest);
    const changed = createBundle(
      [{ ...files[0]!, content: "esphome:\n  name: kitchen2\n" }, ...files.slice(1)],
      "kitchen.yaml",
      null,
    );
    expect(changed.digest).not.toBe(a.digest);
    expect(bundleDigest(readTarGz(a.data))).toBe(a.digest);
  });

  it("rejects an archive without a leading manifest or without the named config", () => {
    expect(() => readBundle(gzipSync(writeTar([{ path: "kitchen.yaml", data: Buffer.from("x") }])))).toThrow(
      /manifest.json is not the first/,
    );
    const manifest = {
      manifest_version: 1,
      esphome_version: "x",
      config_filename: "other.yaml",
      files: [],
      has_secrets: false,
    };
    const tar = writeTar([
      { path: MANIFEST, data: Buffer.from(JSON.stringify(manifest)) },
      { path: "kitchen.yaml", data: Buffer.from("x") },
    ]);
    expect(() => readBundle(gzipSync(tar))).toThrow(/other.yaml/);
  });
});
