import { describe, expect, it } from "vitest";
import { missingFlags, SIDECAR_NODE_FLAGS } from "./runtime-tuning.js";

describe("sidecar runtime flags", () => {
  it("asks for the flags once, unless given on the command line or in NODE_OPTIONS, or switched off", () => {
    expect(missingFlags([], {})).toEqual(SIDECAR_NODE_FLAGS);
    expect(missingFlags(["--optimize-for-size"], {})).toEqual([]);
    expect(missingFlags([], { NODE_OPTIONS: "--cpu-prof --optimize-for-size" })).toEqual([]);
    expect(missingFlags([], { NODE_OPTIONS: "--cpu-prof" })).toEqual(SIDECAR_NODE_FLAGS);
    expect(missingFlags([], { FORGE_SIDECAR_TUNED: "1" })).toEqual([]);
    expect(missingFlags([], { FORGE_NODE_TUNING: "off" })).toEqual([]);
    expect(missingFlags([], { FORGE_SIDECAR_NODE_FLAGS: "--optimize-for-size  --max-semi-space-size=4" })).toEqual([
      "--optimize-for-size",
      "--max-semi-space-size=4",
    ]);
  });
});
