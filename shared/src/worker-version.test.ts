import { describe, expect, it } from "vitest";
import { compareReleases, MIN_WORKER_VERSION, workerVersionProblem } from "./worker-version.js";

describe("worker version gate", () => {
  it("compares release numbers part by part", () => {
    expect(compareReleases("0.1.0", "0.1.0")).toBe(0);
    expect(compareReleases("0.2.0", "0.10.0")).toBeLessThan(0);
    expect(compareReleases("1.0", "0.9.9")).toBeGreaterThan(0);
    expect(compareReleases("v1.2.3-beta.1", "1.2.3")).toBe(0);
    expect(compareReleases("fake", "1.0.0")).toBeNull();
  });

  it("refuses older releases with the version and the minimum named, lets others in", () => {
    expect(workerVersionProblem("0.0.9", "0.1.0")).toBe(
      "worker version 0.0.9 is older than 0.1.0, the oldest this sidecar supports; upgrade the worker (esphome-forge 0.1.0 or later)",
    );
    expect(workerVersionProblem(MIN_WORKER_VERSION)).toBeNull();
    expect(workerVersionProblem("99.0.0")).toBeNull();
    expect(workerVersionProblem("dev-build")).toBeNull();
  });
});
