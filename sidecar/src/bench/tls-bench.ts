// The worker link over TLS (the sidecar's pinned key, TLS-bound key proof) against plain ws on
// loopback, same sidecar, same run: one stand-in job at a time, each worker in turn. "Enqueue → build
// starts" covers the sidecar's dispatch plus the round trip over the link (assign, the worker's ack and
// spawn, the phase event back); per-job overhead is enqueue → result minus the stand-in's own runtime.
// The sidecar-internal dispatch latency (no link involved) is the fleet section's.
import { join } from "node:path";
import { writeFleet } from "../devtools/fleet.js";
import { startSidecar, tempDir } from "../devtools/processes.js";
import { median, percentile, type BenchRow } from "./stats.js";
import { measureJobs, standinRuntime, type OverheadSample } from "./worker-overhead-bench.js";

const JOBS = 40;

export async function benchTls(): Promise<{ rows: BenchRow[]; raw: Record<string, unknown> }> {
  const dataDir = tempDir("forge-bench-tls-");
  writeFleet(join(dataDir, "config"), [{ id: "overhead" }]);
  const sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 0, env: { FORGE_ESPHOME_BIN: "" } });
  try {
    const plain = await measureJobs(sc, { tls: false, jobs: JOBS, name: "plain" });
    const tls = await measureJobs(sc, { tls: true, jobs: JOBS, name: "tls" });
    const standinMs = median(await standinRuntime(JOBS));
    const p = (xs: number[], q: number) => Number(percentile(xs, q).toFixed(1));
    const dispatch = (s: OverheadSample[]) => s.map((x) => x.spawn);
    const overhead = (s: OverheadSample[]) => s.map((x) => x.total - standinMs);
    const extra = (percentile(overhead(tls), 50) / percentile(overhead(plain), 50) - 1) * 100;
    const rows: BenchRow[] = [
      {
        metric: `enqueue → build starts p50, plain ws (${plain.length} jobs)`,
        value: p(dispatch(plain), 50),
        unit: "ms",
      },
      { metric: `enqueue → build starts p50, TLS (${tls.length} jobs)`, value: p(dispatch(tls), 50), unit: "ms" },
      { metric: "enqueue → build starts p99, plain ws", value: p(dispatch(plain), 99), unit: "ms" },
      { metric: "enqueue → build starts p99, TLS", value: p(dispatch(tls), 99), unit: "ms" },
      { metric: "per-job worker overhead p50, plain ws", value: p(overhead(plain), 50), unit: "ms" },
      { metric: "per-job worker overhead p50, TLS", value: p(overhead(tls), 50), unit: "ms" },
      {
        metric: "per-job overhead, TLS vs plain (p50)",
        value: Number(extra.toFixed(1)),
        unit: "%",
        target: "< +10",
        pass: extra < 10,
      },
    ];
    return { rows, raw: { standinMs, plain, tls } };
  } finally {
    await sc.stop();
  }
}
