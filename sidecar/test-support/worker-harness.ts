// Starts in-process build workers against a FakeSidecar with test-friendly settings (the
// stand-in build command, fast backoff) and stops every one of them after each test.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, expect } from "vitest";
import { startWorker, type WorkerHandle, type WorkerOptions } from "../src/build-worker/worker.js";
import { FakeSidecar, type FakeSidecarOptions, type Received } from "./fake-sidecar.js";
import { STANDIN_COMMAND, tempDir, waitUntil } from "./helpers.js";

export interface TestWorker {
  handle: WorkerHandle;
  stateDir: string;
  lines: string[];
  events: { event: string; info: unknown; at: number }[];
}

const running = new Set<WorkerHandle>();

export function startTestWorker(fake: FakeSidecar, overrides: Partial<WorkerOptions> = {}): TestWorker {
  const lines: string[] = [];
  const events: TestWorker["events"] = [];
  const stateDir = overrides.stateDir ?? tempDir();
  const handle = startWorker({
    server: fake.url,
    token: fake.token,
    name: "test-worker",
    slots: 2,
    tags: ["fast"],
    stateDir,
    buildCommand: STANDIN_COMMAND,
    esphomeBin: null,
    drainTimeoutMs: 5000,
    backoff: { minMs: 50, maxMs: 400 },
    log: (line) => lines.push(line),
    ...overrides,
  });
  for (const event of ["connected", "disconnected", "rejected"] as const) {
    handle.on(event, (info) => events.push({ event, info, at: Date.now() }));
  }
  running.add(handle);
  return { handle, stateDir, lines, events };
}

export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop("now")));
  running.clear();
}

/** Pids the stand-in wrote with `spawn-grandchild=1`. */
export async function standinPids(stateDir: string, deviceId: string): Promise<number[]> {
  const file = path.join(stateDir, "builds", deviceId, ".standin-pids.json");
  const pids = await waitUntil(() => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as { standin: number; grandchild: number };
    } catch {
      return null;
    }
  }, "the stand-in's pid file");
  return [pids.standin, pids.grandchild];
}

type ResultReceived = Extract<Received, { type: "result" }>;

/**
 * Per-file test context: a fresh FakeSidecar per test (via `setup`), every worker stopped and
 * the fake closed after each test, and no protocol violation allowed.
 */
export function fakeSidecarSuite() {
  let current: FakeSidecar | null = null;
  afterEach(async () => {
    await stopAllWorkers();
    const fake = current;
    current = null;
    if (!fake) return;
    await fake.close();
    expect(fake.violations).toEqual([]);
  });
  const suite = {
    get fake(): FakeSidecar {
      if (!current) throw new Error("call setup() first");
      return current;
    },
    async startFake(opts: FakeSidecarOptions = {}): Promise<FakeSidecar> {
      current = await FakeSidecar.start(opts);
      return current;
    },
    /** A fake sidecar and one worker connected to it (hello received, key proven: it is welcomed). */
    async setup(opts: FakeSidecarOptions = {}, worker: Partial<WorkerOptions> = {}): Promise<TestWorker> {
      const fake = await suite.startFake(opts);
      const w = startTestWorker(fake, worker);
      await fake.waitFor((m) => m.type === "proof");
      return w;
    },
    /** The job's output as the sidecar stores it: each numbered chunk once (a resent one is a repeat). */
    logOf(jobId: number): string {
      const seen = new Set<string>();
      return suite.fake
        .of("log")
        .filter((m) => m.jobId === jobId && !seen.has(`${m.fence}:${m.seq}`) && seen.add(`${m.fence}:${m.seq}`))
        .map((m) => m.chunk)
        .join("");
    },
    async resultOf(jobId: number, conn?: number, timeoutMs?: number): Promise<ResultReceived> {
      const r = await suite.fake.waitFor(
        (m) => m.type === "result" && m.jobId === jobId && (conn === undefined || m.conn === conn),
        timeoutMs,
      );
      return r as ResultReceived;
    },
  };
  return suite;
}
