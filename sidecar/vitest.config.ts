import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "sidecar",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    // Process-level tests start real sidecars and workers; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    // Projects with different worker limits run one group after another.
    sequence: { groupOrder: 1 },
  },
});
