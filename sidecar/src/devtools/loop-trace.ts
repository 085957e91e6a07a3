// A diagnostic preload for finding what one long event-loop iteration was made of. Loaded with
// `node --import <sidecar>/dist/devtools/loop-trace.js` (for the benchmark's sidecar:
// FORGE_BENCH_SIDECAR_NODE_OPTIONS="--import=…"), it records when each callback it can see starts — the
// callbacks given to setImmediate/setTimeout/setInterval (labelled with where they were scheduled), the
// socket and HTTP events (`message` with the worker message's type, `request` with its path), and GC
// pauses — and, whenever the loop was blocked for more than FORGE_LOOP_TRACE_MS (default 32), appends
// what started during the stall, each with the time until the next start, to FORGE_LOOP_TRACE_FILE.
// Code can add its own marks with `globalThis.__loopTraceMark?.("label")`. Never loaded by the product:
// it wraps every timer callback and every emit.
import { appendFileSync } from "node:fs";
import { EventEmitter } from "node:events";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { setInterval as plainInterval } from "node:timers";

const FILE = process.env.FORGE_LOOP_TRACE_FILE ?? "loop-trace.txt";
const STALL_MS = Number(process.env.FORGE_LOOP_TRACE_MS ?? 32);
const TICK_MS = 5;
const KEPT = 4000;
const WATCHED = new Set(["message", "request", "connection", "upgrade", "close", "drain"]);

const starts: [at: number, label: string][] = [];
function mark(label: string): void {
  starts.push([performance.now(), label]);
  if (starts.length > KEPT) starts.splice(0, KEPT / 4);
}
(globalThis as { __loopTraceMark?: (label: string) => void }).__loopTraceMark = mark;

/** Two frames of the caller's stack, shortened: enough to tell one scheduler from another. */
function scheduledAt(): string {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 5;
  Error.captureStackTrace(holder, scheduledAt);
  Error.stackTraceLimit = limit;
  return (holder.stack ?? "")
    .split("\n")
    .slice(2, 4)
    .map((l) =>
      l
        .trim()
        .replace(/^at /, "")
        .replace(/file:\/\/\S*\/dist\//, ""),
    )
    .join(" < ");
}

type Scheduler = (fn: (...args: unknown[]) => void, ...rest: unknown[]) => unknown;
const timers = globalThis as unknown as Record<"setImmediate" | "setTimeout" | "setInterval", Scheduler>;
for (const name of ["setImmediate", "setTimeout", "setInterval"] as const) {
  const original = timers[name];
  timers[name] = function (this: unknown, fn, ...rest) {
    if (typeof fn !== "function") return original.call(this, fn, ...rest);
    const label = `${name} ${fn.name || "(anonymous)"} @ ${scheduledAt()}`;
    return original.call(
      this,
      function (this: unknown, ...args: unknown[]) {
        mark(label);
        fn.apply(this, args);
      },
      ...rest,
    );
  };
}

const emit = EventEmitter.prototype.emit;
EventEmitter.prototype.emit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
  if (typeof event === "string" && WATCHED.has(event)) mark(describeEvent(this, event, args));
  return emit.call(this, event, ...args);
};

function describeEvent(source: EventEmitter, event: string, args: unknown[]): string {
  let label = `${event} on ${source.constructor.name}`;
  const first = args[0];
  if (event === "message" && (typeof first === "string" || Buffer.isBuffer(first))) {
    const head = (Buffer.isBuffer(first) ? first.subarray(0, 48) : first.slice(0, 48)).toString();
    label += ` ${/"type":"(\w+)"/.exec(head)?.[1] ?? (args[1] === true ? "(binary)" : "?")}`;
  } else if (event === "request" && first && typeof first === "object" && "url" in first) {
    const req = first as { method?: string; url?: string };
    label += ` ${req.method} ${String(req.url).slice(0, 60)}`;
  }
  return label;
}

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    starts.push([e.startTime, `GC (kind ${kind}) ${e.duration.toFixed(1)} ms`]);
  }
}).observe({ entryTypes: ["gc"] });

// The ticker is scheduled with the unwrapped timer, so it never shows up in its own reports.
let last = performance.now();
plainInterval(() => {
  const now = performance.now();
  const blocked = now - last - TICK_MS;
  last = now;
  if (blocked <= STALL_MS) return;
  const from = now - blocked - TICK_MS;
  const inside = starts.filter(([at]) => at >= from).sort((a, b) => a[0] - b[0]);
  const lines = inside.map(([at, label], i) => {
    const until = inside[i + 1]?.[0] ?? now;
    return `  +${(at - from).toFixed(1).padStart(6)}  ${(until - at).toFixed(1).padStart(5)} ms  ${label}`;
  });
  // GC pauses are reported after the fact: one inside this stall may show up in the next report only.
  appendFileSync(FILE, `stall ${blocked.toFixed(1)} ms at ${now.toFixed(0)} ms\n${lines.join("\n")}\n`);
}, TICK_MS).unref();
