import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FirmwareImage, otaImage } from "./domain.js";

interface Vectors {
  cases: { name: string; images: FirmwareImage["kind"][]; expect: number | null }[];
}
const vectors = JSON.parse(readFileSync(new URL("../test-vectors/ota-image.json", import.meta.url), "utf8")) as Vectors;

describe("otaImage (shared/test-vectors/ota-image.json, also checked against the HA integration)", () => {
  it.each(vectors.cases)("$name", ({ images, expect: want }) => {
    const built = images.map((kind, i) =>
      FirmwareImage.parse({ name: `f${i}.bin`, sha256: "a".repeat(64), size: i, kind }),
    );
    const chosen = otaImage(built);
    expect(chosen === undefined ? null : built.indexOf(chosen)).toBe(want);
  });
});
