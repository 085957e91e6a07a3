import { describe, expect, it } from "vitest";
import { DOTTED_NUMERIC, versionIsOlder } from "./project-version.js";

describe("versionIsOlder (the device's comparison)", () => {
  it.each([
    ["1.9.12", "1.10.0", true],
    ["1.10.0", "1.9.12", false],
    ["1.2", "1.2.0", false],
    ["1.2.0", "1.2", false],
    ["1.2", "1.2.1", true],
    ["2", "10", true],
    ["10", "9.99.99", false],
    ["1.0.0", "1.0.0", false],
    ["0.0.1", "0.1", true],
  ])("%s older than %s: %s", (candidate, reference, older) => {
    expect(versionIsOlder(candidate, reference)).toBe(older);
  });

  it("stops at anything that is not a digit or a dot, as the device does", () => {
    expect(versionIsOlder("1.2-beta", "1.3")).toBe(true);
    expect(versionIsOlder("1.3-beta", "1.3")).toBe(false);
    expect(versionIsOlder("abc", "def")).toBe(false);
  });

  it("accepts only dotted-numeric versions for a config with protection on", () => {
    expect(["1", "1.2.3", "2026.10.0"].every((v) => DOTTED_NUMERIC.test(v))).toBe(true);
    expect(["1.2.", ".1", "1.2-beta", "v1", ""].some((v) => DOTTED_NUMERIC.test(v))).toBe(false);
  });
});
