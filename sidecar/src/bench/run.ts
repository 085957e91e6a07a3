// `npm run bench`: every benchmark section, printed as tables and written to bench-results/*.json.
// Not a test: targets are reported, never asserted. FORGE_BENCH_ONLY=fleet,scale,esphome,venv,overhead,trust,presence
// runs only the named sections.
import { resolve } from "node:path";
import { benchTrust } from "./trust-bench.js";
import { OTA_SIGN_TARGET_MS } from "./ota-signing-bench.js";
import { benchEsphome } from "./esphome-bench.js";
import { benchFleet } from "./fleet-bench.js";
import { benchPresence } from "./presence-bench.js";
import { benchScale } from "./scale-bench.js";
import { printTable, writeJson, type BenchRow } from "./stats.js";
import { benchVenv } from "./venv-bench.js";
import { benchWorkerOverhead } from "./worker-overhead-bench.js";

const outDir = resolve(process.env.FORGE_BENCH_OUT ?? "bench-results");
const only = new Set(
  (process.env.FORGE_BENCH_ONLY ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);
const wanted = (name: string) => only.size === 0 || only.has(name);

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const sections: Record<string, { rows: BenchRow[]; raw?: unknown }> = {};
  const section = async (name: string, title: string, run: () => Promise<{ rows: BenchRow[]; raw?: unknown }>) => {
    if (!wanted(name)) return;
    const result = await run();
    printTable(title, result.rows);
    sections[name] = result;
  };
  await section("fleet", "Sidecar: simulated fleet (200 devices, 10 workers × 2 slots, stand-in builds)", benchFleet);
  await section(
    "scale",
    "Sidecar at scale: 2,000 devices, 20k jobs, 24k trust records; 10 workers × 2 slots build the fleet",
    benchScale,
  );
  await section("esphome", "Worker: real ESPHome CLI per example device", benchEsphome);
  await section(
    "overhead",
    "Worker: overhead around a stand-in build (real sidecar + worker process)",
    benchWorkerOverhead,
  );
  await section("venv", "Worker: ESPHome versions (one venv per version)", benchVenv);
  await section("trust", "Content trust", async () => {
    const trust = await benchTrust();
    return {
      rows: Object.entries(trust).map(([metric, value]) => ({
        metric,
        value,
        unit: metric.includes("ms") ? "ms" : "",
        ...(metric.startsWith("ota sign 2MB")
          ? { target: `< ${OTA_SIGN_TARGET_MS} ms`, pass: value < OTA_SIGN_TARGET_MS }
          : {}),
      })),
    };
  });
  await section("presence", "Presence: mDNS answers through cache, matcher, tracker and store", benchPresence);
  writeJson(resolve(outDir, "sidecar.json"), { startedAt, node: process.version, sections });
  console.log(`\nwrote ${resolve(outDir, "sidecar.json")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
