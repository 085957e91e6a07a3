import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isOtaAddress } from "./domain.js";
import { FirmwareImage, otaImage } from "./jobs.js";

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

describe("OTA address (reaches `esphome upload --device ADDRESS` on a worker)", () => {
  it.each(["kitchen.local", "192.168.1.20", "fe80::1", "2001:db8::42", "my_node.local", "esp-01", "host.lan."])(
    "takes %s",
    (address) => expect(isOtaAddress(address)).toBe(true),
  );
  it.each([
    "-oProxyCommand=sh",
    "--device",
    "",
    "a b",
    "$(reboot)",
    "a;b",
    "`id`",
    "a|b",
    "x".repeat(254),
    "host-.local",
    "/dev/ttyUSB0",
    "::ffff:1.2.3.4 ",
  ])("refuses %j", (address) => expect(isOtaAddress(address)).toBe(false));
});
