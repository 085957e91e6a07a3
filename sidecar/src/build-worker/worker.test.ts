// The worker's connection behaviour against a fake sidecar that speaks the real protocol.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { WORKER_PROTOCOL_VERSION } from "@esphome-forge/shared";
import { assign, deviceYaml, sleep, tempDir, waitUntil } from "../../test-support/helpers.js";
import { fakeSidecarSuite, startTestWorker } from "../../test-support/worker-harness.js";
import { WARM_MARKER } from "./worker-state.js";

const t = fakeSidecarSuite();

describe("hello", () => {
  it("announces a stable id, the machine, slots, tags and warm build folders", async () => {
    const fake = await t.startFake();
    const stateDir = tempDir();
    // Warm: the last build in the folder completed. A folder without the marker was interrupted.
    for (const d of ["porch", "kitchen"]) {
      mkdirSync(path.join(stateDir, "builds", d), { recursive: true });
      writeFileSync(path.join(stateDir, "builds", d, WARM_MARKER), "");
    }
    mkdirSync(path.join(stateDir, "builds", "half-built"), { recursive: true });
    const { handle } = startTestWorker(fake, { stateDir, slots: 3, tags: ["fast", "arm"] });
    const hello = await fake.waitFor((m) => m.type === "hello");
    if (hello.type !== "hello") throw new Error("unreachable");
    expect(hello).toMatchObject({
      protocolVersion: WORKER_PROTOCOL_VERSION,
      workerId: handle.workerId,
      name: "test-worker",
      slots: 3,
      tags: ["fast", "arm"],
      platform: `${os.platform()}-${os.arch()}`,
      warmDevices: ["kitchen", "porch"],
      runningJobs: [],
    });
    expect(hello.system).toMatchObject({
      hostname: os.hostname(),
      arch: os.arch(),
      cpus: os.availableParallelism(),
      nodeVersion: process.version,
    });
    expect(hello.system.memoryBytes).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(path.join(stateDir, "worker.json"), "utf8"))).toMatchObject({
      workerId: handle.workerId,
    });

    // The version probe runs the build command with FORGE_PHASE=version; heartbeats carry it.
    await fake.waitFor((m) => m.type === "heartbeat" && (m.esphomeVersions ?? []).includes("2026.10.0"));

    await handle.stop("now");
    const again = startTestWorker(fake, { stateDir });
    expect(again.handle.workerId).toBe(handle.workerId);
  });
});

describe("refusals that retrying cannot fix", () => {
  it("stops on a protocol mismatch and reports both versions", async () => {
    const fake = await t.startFake({ protocolVersion: WORKER_PROTOCOL_VERSION + 1 });
    const { events } = startTestWorker(fake);
    const rejected = await waitUntil(() => events.find((e) => e.event === "rejected"), "rejected");
    const reason = (rejected.info as { reason: string }).reason;
    expect(reason).toContain(`version ${WORKER_PROTOCOL_VERSION}`);
    expect(reason).toContain(`version ${WORKER_PROTOCOL_VERSION + 1}`);
    await sleep(500);
    expect(fake.connections).toBe(1);
  });

  it("stops on a bad token (close 4003) with the sidecar's reason", async () => {
    const fake = await t.startFake();
    const { events } = startTestWorker(fake, { token: "not-the-token" });
    const rejected = await waitUntil(() => events.find((e) => e.event === "rejected"), "rejected");
    expect(rejected.info).toMatchObject({ code: 4003, reason: expect.stringMatching(/unknown worker token/) });
    await sleep(500);
    expect(fake.connections).toBe(1);
  });

  it("stops when the upgrade itself is refused with HTTP 401", async () => {
    const fake = await t.startFake({ httpRefuse: 401 });
    const { events } = startTestWorker(fake);
    const rejected = await waitUntil(() => events.find((e) => e.event === "rejected"), "rejected");
    expect((rejected.info as { reason: string }).reason).toMatch(/HTTP 401.*worker token revoked/);
    await sleep(500);
    expect(fake.connections).toBe(1);
  });
});

describe("reconnecting", () => {
  it("retries with growing, jittered delays and starts over after a good connection", async () => {
    const fake = await t.startFake();
    fake.accepting = false;
    const { events } = startTestWorker(fake, { backoff: { minMs: 50, maxMs: 400 } });
    await waitUntil(() => events.filter((e) => e.event === "disconnected").length >= 5, "five failed attempts");
    const delays = events
      .filter((e) => e.event === "disconnected")
      .map((e) => (e.info as { retryInMs: number }).retryInMs);
    const bases = [50, 100, 200, 400, 400];
    // Equal jitter (shared/src/backoff.ts): between half the base and the base, never above the cap.
    bases.forEach((base, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(base * 0.5);
      expect(delays[i]).toBeLessThanOrEqual(Math.min(400, base));
    });
    expect((events[0]!.info as { code: number }).code).toBe(4010);

    fake.accepting = true;
    await waitUntil(() => events.find((e) => e.event === "connected"), "connected");
    fake.dropConnection();
    await waitUntil(() => events.filter((e) => e.event === "disconnected").length >= 6, "the drop");
    const after = events.filter((e) => e.event === "disconnected").at(-1)!.info as { retryInMs: number; code: number };
    expect(after.retryInMs).toBeLessThanOrEqual(60);
    expect(after.code).toBe(1006);
    await waitUntil(() => events.filter((e) => e.event === "connected").length >= 2, "reconnected");
  });

  it("stops promptly while the sidecar is unreachable, and stops retrying", async () => {
    const fake = await t.startFake();
    fake.accepting = false;
    const { handle, events } = startTestWorker(fake, { backoff: { minMs: 100, maxMs: 100 } });
    await waitUntil(() => events.find((e) => e.event === "disconnected"), "a failed attempt");
    const t0 = Date.now();
    await handle.stop("drain");
    expect(Date.now() - t0).toBeLessThan(500);
    const attempts = fake.connections;
    await sleep(400);
    expect(fake.connections).toBe(attempts);
  });

  it("logs and ignores an invalid message from the sidecar, and keeps working", async () => {
    const fake = await t.startFake();
    const { lines } = startTestWorker(fake);
    await fake.waitFor((m) => m.type === "proof");
    await waitUntil(() => fake.socket, "socket");
    await sleep(50);
    fake.sendRaw({ type: "no_such_message", x: 1 });
    fake.sendRaw("not an object");
    await waitUntil(() => lines.some((l) => l.includes("ignoring an invalid")), "log line");
    const job = assign("kitchen");
    fake.send(job);
    await fake.waitFor((m) => m.type === "result" && m.jobId === job.jobId);
    expect(fake.connections).toBe(1);
  });
});

describe("heartbeats", () => {
  it("list the running jobs (renewing their leases) and drop them once finished", async () => {
    const fake = await t.startFake({ heartbeatMs: 100 });
    startTestWorker(fake);
    await fake.waitFor((m) => m.type === "proof");
    await waitUntil(() => fake.socket, "socket");
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=800"] }) });
    fake.send(job);
    const hb = await fake.waitFor((m) => m.type === "heartbeat" && m.runningJobs.some((r) => r.jobId === job.jobId));
    expect(hb.type === "heartbeat" && hb.runningJobs).toEqual([{ jobId: job.jobId, fence: job.fence }]);
    const result = await fake.waitFor((m) => m.type === "result" && m.jobId === job.jobId);
    await fake.waitFor((m) => m.type === "heartbeat" && m.at > result.at + 150 && m.runningJobs.length === 0);
    const beats = fake.of("heartbeat").filter((m) => m.runningJobs.length > 0);
    expect(beats.length).toBeGreaterThanOrEqual(4); // ~800 ms of compile at 100 ms intervals
  });
});

describe("state folder", () => {
  it("creates worker.json (and the folders) on first start", async () => {
    const fake = await t.startFake();
    const stateDir = path.join(tempDir(), "nested", "state");
    startTestWorker(fake, { stateDir });
    expect(existsSync(path.join(stateDir, "worker.json"))).toBe(true);
  });
});
