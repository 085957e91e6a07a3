// How long the event loop was blocked, measured inside the sidecar. Off unless FORGE_DEBUG_EVENT_LOOP=on:
// the benchmark reads it through the debug route to check that no event, request or worker message
// ever stalls the loop (every lease and heartbeat depends on it).
//
// Three views of a stall: the loop-delay histogram (perf_hooks: wall clock, what a worker waiting for
// an answer sees); the same delays counted only as far as the process used CPU meanwhile (on a machine
// shared with other busy processes, a wall-clock delay can be time the sidecar was not scheduled at
// all, which its own code cannot cause); and the longest garbage-collection pause.
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from "node:perf_hooks";

export interface EventLoopDelay {
  /** The longest stall since the last reset, in ms (the histogram's resolution is 10 ms). */
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  samples: number;
  /** The longest stall during which the process was busy (its CPU time covers it), in ms. */
  maxBusyMs: number;
  /** The longest garbage-collection pause, in ms. */
  maxGcMs: number;
  /** Garbage-collection pauses by kind (minor = young generation, major = mark-compact, …): count, total and longest ms. */
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** The longest stalls (over STALL_RECORD_MS), each ending at a monotonic time in µs — the clock of a
   * `--cpu-prof` profile, so a stall can be found in one. */
  stalls: { endUs: number; ms: number; busyMs: number }[];
}

const STALL_RECORD_MS = 40;
/** perf_hooks' NODE_PERFORMANCE_GC_* flags. */
const GC_KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };
const STALLS_KEPT = 20;

const TICK_MS = 5;

export class EventLoopMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly ticker: NodeJS.Timeout;
  private readonly gc: PerformanceObserver;
  private last = { at: performance.now(), cpu: process.cpuUsage() };
  private maxBusyMs = 0;
  private maxGcMs = 0;
  private stalls: EventLoopDelay["stalls"] = [];
  private gcKinds: EventLoopDelay["gc"] = {};

  constructor() {
    this.h.enable();
    this.ticker = setInterval(() => this.tick(), TICK_MS).unref();
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.maxGcMs = Math.max(this.maxGcMs, e.duration);
        const kind = GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? "other";
        const k = (this.gcKinds[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
        k.count++;
        k.totalMs += e.duration;
        k.maxMs = Math.max(k.maxMs, e.duration);
      }
    });
    this.gc.observe({ entryTypes: ["gc"] });
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): EventLoopMonitor | null {
    return env.FORGE_DEBUG_EVENT_LOOP === "on" ? new EventLoopMonitor() : null;
  }

  read(reset = false): EventLoopDelay {
    const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const out = {
      maxMs: ms(this.h.max),
      p99Ms: ms(this.h.percentile(99)),
      meanMs: ms(this.h.mean),
      samples: this.h.count,
      maxBusyMs: this.maxBusyMs,
      maxGcMs: this.maxGcMs,
      stalls: [...this.stalls],
      gc: structuredClone(this.gcKinds),
    };
    if (reset) {
      this.h.reset();
      this.maxBusyMs = 0;
      this.maxGcMs = 0;
      this.stalls = [];
      this.gcKinds = {};
    }
    return out;
  }

  stop(): void {
    this.h.disable();
    clearInterval(this.ticker);
    this.gc.disconnect();
  }

  private tick(): void {
    const at = performance.now();
    const cpu = process.cpuUsage(this.last.cpu);
    const delay = at - this.last.at - TICK_MS;
    const busyMs = Math.min(delay, (cpu.user + cpu.system) / 1000);
    if (delay > 0) this.maxBusyMs = Math.max(this.maxBusyMs, busyMs);
    if (delay > STALL_RECORD_MS) {
      this.stalls.push({ endUs: Number(process.hrtime.bigint() / 1000n), ms: delay, busyMs });
      this.stalls.sort((a, b) => b.ms - a.ms).splice(STALLS_KEPT);
    }
    this.last = { at, cpu: process.cpuUsage() };
  }
}
