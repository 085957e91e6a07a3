import { defineConfig } from "vitest/config";

// One vitest run over every TypeScript workspace; each keeps its own config beside its code.
export default defineConfig({
  test: {
    projects: ["shared", "sidecar", "card"],
  },
});
