// Small statistics helpers and the table/JSON output every benchmark section shares.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export const median = (values: number[]) => percentile(values, 50);

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
}

export function printTable(title: string, rows: BenchRow[]): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r.metric.length), 6);
  console.log(`${"metric".padEnd(w)}  ${"value".padStart(12)}  unit    target          ok`);
  for (const r of rows) {
    const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(3);
    const ok = r.pass === undefined ? "" : r.pass ? "yes" : "NO";
    console.log(`${r.metric.padEnd(w)}  ${v.padStart(12)}  ${r.unit.padEnd(6)}  ${(r.target ?? "").padEnd(14)}  ${ok}`);
  }
}

export function writeJson(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
}
