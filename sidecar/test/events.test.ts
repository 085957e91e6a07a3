// The events WebSocket against a real sidecar: auth, snapshot then deltas, log tails with
// gap-free offsets, and slow consumers dropped without disturbing the others.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventsCloseCode, SLOW_CONSUMER_REASON } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

let sc: SidecarProc;
let api: Api;
const clients: EventsClient[] = [];
const workers: ProcHandle[] = [];

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "desk" },
    { id: "chatty", standin: ["log-bytes=16000000"] },
    { id: "talker", standin: ["log-bytes=200000"] },
  ]);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed"],
    localSlots: 2,
    env: { FORGE_EVENTS_SLOW_CONSUMER_BYTES: "65536" },
  });
  api = new Api(sc.url, sc.token);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(workers.map((w) => w.stop()));
  await sc?.stop();
});

const client = (token: string | null) => {
  const c = new EventsClient(sc.url, token);
  clients.push(c);
  return c;
};

describe("events socket", () => {
  it("refuses a wrong token at the upgrade with 401 and a reason", async () => {
    const c = client("wrong");
    await waitFor(() => c.refused, "refusal");
    expect(c.refused!.status).toBe(401);
    expect(c.refused!.body).toContain("invalid admin token");
    expect(c.of("snapshot")).toHaveLength(0);
  });

  it("sends a snapshot, then job and device deltas, to header- and ticket-authenticated clients", async () => {
    const a = client(sc.token);
    const b = await EventsClient.withTicket(sc.url, sc.token);
    clients.push(b);
    await waitFor(() => a.of("snapshot").length && b.of("snapshot").length, "snapshots");
    expect(
      a
        .of("snapshot")[0]!
        .devices.map((d) => d.id)
        .sort(),
    ).toEqual(["chatty", "desk", "talker"]);
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["desk"] } })).jobs[0]!.jobId;
    for (const c of [a, b]) {
      await waitFor(() => c.of("job").some((e) => e.id === id && e.job?.state === "succeeded"), "job delta succeeded");
      const states = c
        .of("job")
        .filter((e) => e.id === id)
        .map((e) => e.job!.state);
      expect(states[0]).toBe("queued");
      expect(states).toContain("running");
      expect(c.of("device").some((e) => e.id === "desk" && e.device?.lastBuild?.jobId === id)).toBe(true);
      const seqs = c.messages.filter((m) => "seq" in m).map((m) => (m as { seq: number }).seq);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    }
  });

  it("announces the device's running firmware as verified once a compile_upload has flashed it", async () => {
    const c = client(sc.token);
    await waitFor(() => c.of("snapshot").length, "snapshot");
    expect(c.of("snapshot")[0]!.devices.find((d) => d.id === "desk")!.trust.running.state).toBe("unknown");
    const id = (await api.createJobs({ action: "compile_upload", targets: { devices: ["desk"] } })).jobs[0]!.jobId;
    await waitFor(() => c.of("job").some((e) => e.id === id && e.job?.state === "succeeded"), "flashed");
    // The last device delta (not a REST read) must carry the verdict the flash recorded.
    await waitFor(
      () =>
        c
          .of("device")
          .filter((e) => e.id === "desk")
          .at(-1)?.device?.trust.running.state === "verified",
      "running verified",
    );
    const running = c
      .of("device")
      .filter((e) => e.id === "desk")
      .at(-1)!.device!.trust.running;
    const job = await api.job(id);
    expect(running).toMatchObject({ firmwareSha256: job.firmware.find((f) => f.kind === "ota")!.sha256 });
    expect(running.signer).toBeTruthy();
    expect(running.buildSequence).toBeGreaterThanOrEqual(1);
  });

  it("announces a worker's ESPHome versions when its heartbeat first reports them", async () => {
    const c = client(sc.token);
    await waitFor(() => c.of("snapshot").length, "snapshot");
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "prober" });
    workers.push(startWorker({ url: sc.url, token: secret, name: "prober", slots: 1 }));
    // hello goes out before the version probe answers; the heartbeat that carries the answer must
    // reach subscribers as a worker delta, not wait for the next job to finish.
    await waitFor(
      () => c.of("worker").some((e) => e.worker?.name === "prober" && e.worker.esphomeVersions.length > 0),
      "prober's versions",
    );
    const w = c
      .of("worker")
      .filter((e) => e.worker?.name === "prober")
      .at(-1)!.worker!;
    expect(w.esphomeVersions).toEqual([expect.stringMatching(/^\d{4}\.\d+\.\d+/)]);
    await workers.pop()!.stop(); // the other tests expect only the local worker's slots
  });

  it("streams a job's log with contiguous offsets, then log_end", async () => {
    const c = client(sc.token);
    await waitFor(() => c.of("snapshot").length, "snapshot");
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["talker"] } })).jobs[0]!.jobId;
    c.send({ type: "subscribe_log", jobId: id, offset: 0 });
    await waitFor(() => c.of("log_end").some((e) => e.jobId === id), "log end", 30_000);
    const chunks = c.of("log").filter((e) => e.jobId === id);
    let expected = chunks[0]!.offset;
    for (const ch of chunks) {
      expect(ch.offset).toBe(expected);
      expected += Buffer.byteLength(ch.chunk);
    }
    const stored = await api.log(id);
    expect(chunks.map((x) => x.chunk).join("")).toBe(stored);
  });

  it("drops a client that stops reading, and keeps serving the others", async () => {
    const slow = client(sc.token);
    const healthy = client(sc.token);
    await waitFor(() => slow.of("snapshot").length && healthy.of("snapshot").length, "snapshots");
    const id = (await api.createJobs({ action: "compile", targets: { devices: ["chatty"] } })).jobs[0]!.jobId;
    slow.send({ type: "subscribe_log", jobId: id, offset: 0 });
    healthy.send({ type: "subscribe_log", jobId: id, offset: 0 });
    // Stop reading: the kernel buffers fill and the sidecar's send buffer for this client grows.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await waitFor(() => healthy.of("log_end").some((e) => e.jobId === id), "healthy client saw the end", 60_000);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor(() => slow.closed, "slow client closed", 30_000);
    expect(slow.of("log_end").some((e) => e.jobId === id)).toBe(false);
    // It reads what was queued before the drop, then the documented close (not a bare 1006).
    expect(slow.of("error").at(-1)).toMatchObject({ code: "slow_consumer" });
    expect(slow.closed).toEqual({ code: EventsCloseCode.slowConsumer, reason: SLOW_CONSUMER_REASON });
    expect(healthy.closed).toBeNull();
    const healthyBytes = healthy
      .of("log")
      .filter((e) => e.jobId === id)
      .reduce((n, e) => n + Buffer.byteLength(e.chunk), 0);
    expect(healthyBytes).toBeGreaterThan(15_000_000);
  });
});
