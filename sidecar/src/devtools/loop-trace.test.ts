import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./processes.js";

const PRELOAD = fileURLToPath(new URL("../../dist/devtools/loop-trace.js", import.meta.url));

describe("loop-trace (diagnostic preload)", () => {
  it("reports a stall with the callback that made it and where it was scheduled", () => {
    const file = join(tempDir("forge-loop-trace-"), "trace.txt");
    const script = `
      function heavyStep() { const t = performance.now(); while (performance.now() - t < 80); }
      setTimeout(function later() { setImmediate(heavyStep); }, 30);
      setTimeout(() => {}, 250);`;
    const run = spawnSync(process.execPath, ["--import", PRELOAD, "-e", script], {
      env: { ...process.env, FORGE_LOOP_TRACE_FILE: file },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const report = readFileSync(file, "utf8");
    const stall = /^stall ([\d.]+) ms/m.exec(report);
    expect(Number(stall?.[1])).toBeGreaterThan(60);
    expect(report).toMatch(/ {2}[\d.]+ ms {2}setImmediate heavyStep @ Timeout\.later/);
  });
});
