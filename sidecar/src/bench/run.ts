// `npm run bench`: every benchmark section, printed as tables and written to bench-results/*.json.
// Not a test: targets are reported, never asserted.
import { resolve } from "node:path";
import { benchTrust } from "../trust/bench-trust.js";
import { benchEsphome } from "./esphome-bench.js";
import { benchFleet } from "./fleet-bench.js";
import { printTable, writeJson, type BenchRow } from "./stats.js";

const outDir = resolve(process.env.FORGE_BENCH_OUT ?? "bench-results");

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const fleet = await benchFleet();
  printTable("Sidecar: simulated fleet (200 devices, 10 workers × 2 slots, stand-in builds)", fleet.rows);
  const sections: Record<string, { rows: BenchRow[]; raw?: unknown }> = { fleet };
  const esphome = await benchEsphome();
  printTable("Worker: real ESPHome CLI per example device", esphome.rows);
  sections.esphome = esphome;
  const trust = await benchTrust();
  const rows = Object.entries(trust).map(([metric, value]) => ({ metric, value, unit: metric.includes("ms") ? "ms" : "" }));
  printTable("Content trust", rows);
  sections.trust = { rows };
  writeJson(resolve(outDir, "sidecar.json"), { startedAt, node: process.version, sections });
  console.log(`\nwrote ${resolve(outDir, "sidecar.json")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
