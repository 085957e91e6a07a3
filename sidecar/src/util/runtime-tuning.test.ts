import { describe, expect, it } from "vitest";
import { MALLOC_ARENAS, missingFlags, SIDECAR_NODE_FLAGS, tunedEnv } from "./runtime-tuning.js";

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

  it("restarts with at most two malloc arenas unless the environment says otherwise, and marked as tuned", () => {
    expect(tunedEnv({ PATH: "/bin" })).toEqual({
      PATH: "/bin",
      MALLOC_ARENA_MAX: MALLOC_ARENAS,
      FORGE_SIDECAR_TUNED: "1",
    });
    expect(tunedEnv({ MALLOC_ARENA_MAX: "8" }).MALLOC_ARENA_MAX).toBe("8");
  });
});
