// The job runner on its own with a real child process: backpressure really stalls the build.
import { describe, expect, it } from "vitest";
import { STANDIN_COMMAND, assign, deviceYaml, sleep, tempDir, waitUntil } from "../../test-support/helpers.js";
import { DeviceLocks } from "./device-locks.js";
import { JobRun, formatMs, type JobChannel } from "./job-runner.js";
import { JobLog } from "./log-stream.js";

function channel() {
  const sent: string[] = [];
  const phases: string[] = [];
  const state = { congested: false, drained: [] as (() => void)[] };
  const log = new JobLog({ trySend: (c) => (sent.push(c.text), true) }, { batchMs: 5 });
  const ch: JobChannel = {
    started: (p) => phases.push(`started:${p}`),
    progress: (p, pct) => phases.push(`progress:${p}:${pct}`),
    log,
    congested: () => state.congested,
    whenDrained: (fn) => state.drained.push(fn),
  };
  return { ch, sent, phases, state, chars: () => sent.reduce((n, c) => n + c.length, 0) };
}

describe("JobRun", () => {
  it("pauses the build's output while the socket is congested and resumes when it drains", async () => {
    const c = channel();
    c.state.congested = true;
    const cfg = {
      stateDir: tempDir(),
      httpBase: "http://127.0.0.1:9/",
      token: "t",
      buildCommand: STANDIN_COMMAND,
      esphomeBin: null,
    };
    const bytes = 4 * 1024 * 1024;
    const run = new JobRun(
      assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: [`log-bytes=${bytes}`, "clean-ms=0"] }) }),
      cfg,
      c.ch,
      new DeviceLocks(),
    );
    let finished = false;
    void run.done.then(() => (finished = true));
    await waitUntil(() => c.state.drained.length > 0, "the runner to pause");
    await sleep(700);
    // The pipe holds ~64 KiB and the runner read one more chunk: the build is blocked on write.
    expect(c.chars()).toBeLessThan(512 * 1024);
    expect(finished).toBe(false);
    c.state.congested = false;
    for (const fn of c.state.drained.splice(0)) fn();
    const outcome = await run.done;
    expect(outcome.outcome).toBe("succeeded");
    expect(c.chars()).toBeGreaterThan(bytes * 0.9);
    expect(c.phases[0]).toBe("started:prepare");
    expect(c.phases).toContain("progress:compile:null");
  });

  it("waits for the device's build folder while another job holds it", async () => {
    const locks = new DeviceLocks();
    const release = locks.tryAcquire("kitchen")!;
    const c = channel();
    const cfg = {
      stateDir: tempDir(),
      httpBase: "http://127.0.0.1:9/",
      token: "t",
      buildCommand: STANDIN_COMMAND,
      esphomeBin: null,
    };
    const run = new JobRun(assign("kitchen"), cfg, c.ch, locks);
    await sleep(300);
    expect(c.phases).toEqual(["started:prepare"]);
    release();
    expect((await run.done).outcome).toBe("succeeded");
  });

  it("can be cancelled while it waits for the folder", async () => {
    const locks = new DeviceLocks();
    locks.tryAcquire("kitchen");
    const c = channel();
    const cfg = {
      stateDir: tempDir(),
      httpBase: "http://127.0.0.1:9/",
      token: "t",
      buildCommand: STANDIN_COMMAND,
      esphomeBin: null,
    };
    const run = new JobRun(assign("kitchen"), cfg, c.ch, locks);
    await run.stop("cancel", "never mind");
    expect(await run.done).toMatchObject({ outcome: "cancelled", phase: "prepare", error: "never mind" });
  });

  it("formats durations for people", () => {
    expect(formatMs(500)).toBe("500 ms");
    expect(formatMs(1500)).toBe("1.5 s");
    expect(formatMs(1_800_000)).toBe("30 min");
  });
});
