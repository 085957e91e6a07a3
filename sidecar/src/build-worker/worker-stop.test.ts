// Stopping (drain, now) and keeping build output flowing across backpressure and disconnects.
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { assign, deviceYaml, sleep, waitUntil } from "../../test-support/helpers.js";
import { fakeSidecarSuite, standinPids } from "../../test-support/worker-harness.js";
import { pidAlive } from "./process-group.js";

const t = fakeSidecarSuite();
const { setup, logOf } = t;

describe("stop('drain')", () => {
  it("lets running jobs finish and deliver their result, refuses new work, then closes", async () => {
    const { handle } = await setup();
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=700"] }) });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "progress" && m.jobId === job.jobId);
    const stopped = handle.stop("drain");
    const late = assign("porch");
    t.fake.send(late);
    const rel = await t.fake.waitFor((m) => m.type === "release" && m.jobId === late.jobId);
    expect(rel.type === "release" && rel.reason).toMatch(/shutting down/);
    await stopped;
    const result = t.fake.of("result").find((m) => m.jobId === job.jobId);
    expect(result?.outcome).toBe("succeeded");
    expect(t.fake.socket).toBeNull();
    expect(t.fake.of("release").some((m) => m.jobId === job.jobId)).toBe(false);
  });

  it("after the drain timeout kills what still runs and releases it with a reason", async () => {
    const { handle, stateDir } = await setup({}, { drainTimeoutMs: 300 });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["hang=compile spawn-grandchild=1"] }) });
    t.fake.send(job);
    const pids = await standinPids(stateDir, "kitchen");
    const t0 = Date.now();
    await handle.stop("drain");
    expect(Date.now() - t0).toBeLessThan(3000);
    const rel = t.fake.of("release").find((m) => m.jobId === job.jobId);
    expect(rel?.reason).toMatch(/drain timeout of 300 ms reached/);
    expect(t.fake.of("result")).toEqual([]);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });
});

describe("stop('now')", () => {
  it("kills and releases at once", async () => {
    const { handle, stateDir } = await setup({}, { drainTimeoutMs: 60_000 });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["hang=compile spawn-grandchild=1"] }) });
    t.fake.send(job);
    const pids = await standinPids(stateDir, "kitchen");
    const t0 = Date.now();
    await handle.stop("now");
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(t.fake.of("release").find((m) => m.jobId === job.jobId)?.reason).toBe("the worker is shutting down");
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it("cuts a drain short", async () => {
    const { handle } = await setup({}, { drainTimeoutMs: 60_000 });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["hang=compile"] }) });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "progress" && m.jobId === job.jobId);
    const draining = handle.stop("drain");
    await sleep(200);
    const t0 = Date.now();
    await handle.stop("now");
    await draining;
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(t.fake.of("release").some((m) => m.jobId === job.jobId)).toBe(true);
  });
});

describe("build output", () => {
  it("is buffered while the sidecar is unreachable and flushed, in order, after reconnecting", async () => {
    await setup({}, { backoff: { minMs: 50, maxMs: 100 } });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=1500"] }) });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "log" && m.chunk.includes("[2/20]"));
    t.fake.accepting = false;
    t.fake.dropConnection();
    await sleep(700);
    t.fake.accepting = true;
    const result = await t.fake.waitFor((m) => m.type === "result" && m.jobId === job.jobId);
    expect(result.type === "result" && result.outcome).toBe("succeeded");
    const log = logOf(job.jobId);
    const steps = [...log.matchAll(/\[(\d+)\/20\]/g)].map((m) => Number(m[1]));
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(t.fake.of("log").some((m) => m.jobId === job.jobId && m.conn > 1 && m.chunk.includes("[10/20]"))).toBe(true);
  });

  it("drops the oldest buffered output beyond the cap, declares the gap (keptFrom), and keeps the newest", async () => {
    await setup({}, { backoff: { minMs: 50, maxMs: 100 }, offlineLogCapChars: 4096 });
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=1200 log-bytes=200000"] }) });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "log" && m.chunk.includes("[1/20]"));
    t.fake.accepting = false;
    t.fake.dropConnection();
    await sleep(900);
    t.fake.accepting = true;
    await t.fake.waitFor((m) => m.type === "result" && m.jobId === job.jobId);
    const log = logOf(job.jobId);
    // The first chunk after the reconnect tells the sidecar which chunks are gone for good, so the
    // sidecar's log marks the gap where they were (sidecar/test/log-resend.test.ts checks the marker).
    const msgs = t.fake.of("log").filter((m) => m.jobId === job.jobId);
    const lastBefore = Math.max(...msgs.filter((m) => m.conn === 1).map((m) => m.seq));
    const firstAfter = msgs.find((m) => m.conn > 1)!;
    expect(firstAfter.keptFrom).toBeGreaterThan(lastBefore + 1);
    expect(log).toContain("[20/20]");
    expect(log).toContain("Successfully compiled program");
    expect(log.length).toBeLessThan(100_000);
  });

  it("survives a sidecar that stops reading: output waits (backpressure) and all of it arrives", async () => {
    const { lines } = await setup();
    const bytes = 6 * 1024 * 1024;
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: [`log-bytes=${bytes}`] }) });
    await waitUntil(() => t.fake.socket, "socket");
    const tcp = (t.fake.socket as unknown as { _socket: Socket })._socket;
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "log" && m.jobId === job.jobId);
    tcp.pause(); // the sidecar stops reading: the worker's send buffer fills up
    await sleep(1000);
    expect(t.fake.of("result")).toEqual([]);
    tcp.resume();
    const result = await t.fake.waitFor((m) => m.type === "result" && m.jobId === job.jobId, 30_000);
    expect(result.type === "result" && result.outcome).toBe("succeeded");
    const log = logOf(job.jobId);
    expect(Buffer.byteLength(log)).toBeGreaterThanOrEqual(bytes);
    expect(log).not.toContain("dropped");
    expect([...log.matchAll(/\[(\d+)\/20\]/g)].map((m) => Number(m[1]))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(lines.join("\n")).not.toMatch(/invalid/);
  });
});
