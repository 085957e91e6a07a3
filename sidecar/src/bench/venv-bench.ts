// The cost of an ESPHome version on a worker: a cold install (a fresh venv and `pip install
// esphome==V` of the version FORGE_ESPHOME_BIN runs, with pip's own cache; measured once, it is
// minutes) and a warm acquire (the version is installed: what every later job pays).
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand } from "../inventory/esphome-cli.js";
import { findPython } from "../build-worker/esphome-versions/python.js";
import { EsphomeVersions } from "../build-worker/esphome-versions/version-manager.js";
import { median, percentile, type BenchRow } from "./stats.js";

const WARM_RUNS = 50;

/** The interpreter that made `bin`'s venv (so pip's cache matches), else FORGE_PYTHON or one on PATH. */
async function pythonFor(bin: string): Promise<string> {
  if (process.env.FORGE_PYTHON) return process.env.FORGE_PYTHON;
  try {
    const cfg = readFileSync(path.join(path.dirname(path.dirname(bin)), "pyvenv.cfg"), "utf8");
    const exe = /^executable\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
    if (exe) return exe;
  } catch {
    // not a venv
  }
  return (await findPython(null)).path;
}

export async function benchVenv(): Promise<{ rows: BenchRow[]; raw: Record<string, unknown> }> {
  const bin = process.env.FORGE_ESPHOME_BIN;
  if (!bin) return { rows: [{ metric: "skipped: FORGE_ESPHOME_BIN unset", value: 0, unit: "" }], raw: {} };
  const v = await runCommand([bin, "version"], process.cwd(), 60_000);
  const version = /Version:\s*(\S+)/.exec(v.stdout + v.stderr)?.[1];
  if (!version) throw new Error(`${bin} version did not answer: ${v.stderr}`);
  const python = await pythonFor(bin);
  const root = await mkdtemp(path.join(tmpdir(), "forge-bench-venv-"));
  const lines: string[] = [];
  try {
    const m = new EsphomeVersions({ root, sharedRoot: null, python: async () => python, keep: 3 });
    const t0 = performance.now();
    (await m.acquire(version, (l) => void lines.push(l))).release();
    const coldMs = performance.now() - t0;
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      const t = performance.now();
      (await m.acquire(version, () => {})).release();
      warm.push(performance.now() - t);
    }
    const cached = lines.filter((l) => /Using cached|already satisfied|\.whl \(from .*cache/i.test(l)).length;
    const downloaded = lines.filter((l) => /\bDownloading\b/.test(l)).length;
    const rows: BenchRow[] = [
      {
        metric: `ESPHome ${version} venv install, cold (once; ${downloaded ? `${downloaded} downloads` : "pip cache"})`,
        value: Math.round(coldMs / 100) / 10,
        unit: "s",
      },
      {
        metric: `ESPHome venv acquire, warm (median of ${WARM_RUNS})`,
        value: Number(median(warm).toFixed(3)),
        unit: "ms",
      },
      { metric: `ESPHome venv acquire, warm (p95)`, value: Number(percentile(warm, 95).toFixed(3)), unit: "ms" },
    ];
    return {
      rows,
      raw: { version, python, coldMs, warmMs: warm, pipCachedLines: cached, pipDownloadLines: downloaded },
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${lines.slice(-20).join("\n")}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
