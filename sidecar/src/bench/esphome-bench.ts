// Worker-side costs measured on the real ESPHome CLI (FORGE_ESPHOME_BIN), per example device:
// `esphome config` latency, `esphome bundle` creation, and the sidecar's own bundle writer on the
// same members. Skipped (one row saying so) when the real CLI is not installed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createBundle, esphomeBundle, readBundle } from "../bundle/bundle.js";
import { runCommand } from "../inventory/esphome-cli.js";
import { seedExamples } from "../inventory/seed.js";
import { median, type BenchRow } from "./stats.js";

export async function benchEsphome(): Promise<{ rows: BenchRow[]; raw: Record<string, unknown> }> {
  const bin = process.env.FORGE_ESPHOME_BIN;
  if (!bin) return { rows: [{ metric: "skipped: FORGE_ESPHOME_BIN unset", value: 0, unit: "" }], raw: {} };
  const dir = await mkdtemp(path.join(tmpdir(), "forge-bench-esphome-"));
  try {
    const devices = (await seedExamples(dir)).filter((f) => !f.includes("/") && f !== "secrets.yaml");
    const config: number[] = [];
    const bundle: number[] = [];
    const own: number[] = [];
    const raw: Record<string, unknown> = {};
    for (const file of devices) {
      const t0 = performance.now();
      const r = await runCommand([bin, "config", file], dir, 60_000);
      const configMs = performance.now() - t0;
      const t1 = performance.now();
      const gz = await esphomeBundle(bin, path.join(dir, file));
      const bundleMs = performance.now() - t1;
      const b = readBundle(gz);
      const t2 = performance.now();
      for (let i = 0; i < 20; i++) createBundle(b.files, b.manifest.config_filename, b.manifest.esphome_version);
      const ownMs = (performance.now() - t2) / 20;
      config.push(configMs);
      bundle.push(bundleMs);
      own.push(ownMs);
      raw[file] = {
        configOk: r.code === 0,
        configMs,
        esphomeBundleMs: bundleMs,
        ownBundleMs: ownMs,
        files: b.files.length,
        bytes: gz.length,
      };
    }
    const rows: BenchRow[] = [
      { metric: "esphome config per device (median)", value: Math.round(median(config)), unit: "ms" },
      { metric: "esphome config per device (max)", value: Math.round(Math.max(...config)), unit: "ms" },
      { metric: "esphome bundle per device (median)", value: Math.round(median(bundle)), unit: "ms" },
      { metric: "sidecar bundle writer per device (median)", value: Number(median(own).toFixed(3)), unit: "ms" },
    ];
    return { rows, raw };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
