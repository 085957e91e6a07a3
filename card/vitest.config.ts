import { defineProject } from "vitest/config";

// Unit tests sit beside their module (src/**/*.test.ts; DOM tests opt into happy-dom with a
// `@vitest-environment happy-dom` comment). test/*.test.ts drive Debian's Chromium through
// playwright-core against the built bundles and a real sidecar: slower, so longer timeouts.
export default defineProject({
  test: {
    name: "card",
    environment: "node",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Browser tests wait for conditions with expect.poll; on a busy 2-core CI machine a page may
    // need more than vitest's default second (a passing poll still returns at once).
    expect: { poll: { timeout: 15_000 } },
    // After the sidecar's process tests, so the two never compete for the 2 cores.
    sequence: { groupOrder: 2 },
  },
});
