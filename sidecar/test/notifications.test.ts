// Notifications on a real sidecar with a real stand-in worker and a real HTTP receiver on loopback:
// the webhook (signed JSON POSTs, checked here with node:crypto, retries with backoff, a slow
// receiver never holding anything up, an event filter), alerts for builds that keep failing (and
// their clearing), and the ESPHome release check (pip answered by the fake interpreter).
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Notice,
  WebhookConfig,
  type Alert,
  type Device,
  type InfoResponse,
  type Schedule,
} from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, startWorker, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { settledJob, type WorkerProc } from "../test-support/fleet-jobs.js";

const FAKE_PYTHON = fileURLToPath(new URL("../test-support/fake-python.sh", import.meta.url));

interface Received {
  /** Date.now() at arrival. */
  at: number;
  headers: IncomingMessage["headers"];
  body: string;
  notice: Notice;
}

/** A webhook receiver: records every POST; `answer` decides each status (and may delay). */
class Receiver {
  readonly posts: Received[] = [];
  answer: (n: Notice, attempt: number) => Promise<number> | number = () => 204;
  private readonly attempts = new Map<string, number>();
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const notice = Notice.parse(JSON.parse(body));
        const attempt = (this.attempts.get(notice.id) ?? 0) + 1;
        this.attempts.set(notice.id, attempt);
        this.posts.push({ at: Date.now(), headers: req.headers, body, notice });
        void Promise.resolve(this.answer(notice, attempt)).then((status) => res.writeHead(status).end());
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/forge?key=abc`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  of(event: Notice["event"]): Received[] {
    return this.posts.filter((p) => p.notice.event === event);
  }
}

let sc: SidecarProc;
let api: Api;
let worker: WorkerProc;
let receiver: Receiver;
let secret = "";

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [
    { id: "lamp", standin: ["sleep-ms=20"] },
    { id: "broken", standin: ["fail-at=compile"] },
  ]);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed"],
    localSlots: 0,
    env: { FORGE_PYTHON: FAKE_PYTHON, FAKE_PIP_INDEX: "2026.12.1, 2026.11.2, 2026.10.0" },
  });
  api = new Api(sc.url, sc.token);
  const token = (await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "w" })).secret;
  worker = startWorker({ url: sc.url, token, name: "w" });
  await waitFor(
    async () => (await api.json<{ workers: { online: boolean }[] }>("GET", "/workers")).workers.some((w) => w.online),
    "worker online",
  );
  receiver = new Receiver();
  await receiver.start();
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await sc?.stop();
  await receiver?.stop();
});

/** What a receiver checks: the signature over `<timestamp>.<body>` with the shared secret. */
function verify(r: Received): boolean {
  const ts = String(r.headers["x-forge-timestamp"]);
  const expected = createHmac("sha256", secret).update(`${ts}.${r.body}`).digest("hex");
  return r.headers["x-forge-signature"] === `sha256=${expected}`;
}

describe("webhook", () => {
  it("is set with a generated secret shown once; events arrive signed, with their headers", async () => {
    const put = await api.json<WebhookConfig & { secret?: string }>("PUT", "/notifications/webhook", {
      url: receiver.url,
    });
    expect(put.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secret = put.secret!;
    const view = WebhookConfig.parse(await api.json("GET", "/notifications/webhook"));
    expect(view).toMatchObject({ url: receiver.url, secretSet: true, events: [] });
    expect(JSON.stringify(view)).not.toContain(secret);

    const { id } = await api.json<{ id: string }>("POST", "/notifications/webhook/test");
    const got = await waitFor(() => receiver.of("test").find((p) => p.notice.id === id), "the test event");
    expect(verify(got)).toBe(true);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-forge-event"]).toBe("test");
    expect(got.headers["x-forge-delivery"]).toBe(id);
    const info = await api.json<InfoResponse>("GET", "/info");
    expect(got.notice.sidecar).toBe(info.instanceId);
    // A tampered body (or another secret) does not verify.
    expect(verify({ ...got, body: got.body.replace('"test"', '"tést"') })).toBe(false);
  });

  it("a job that finishes is posted with its result", async () => {
    const { jobs } = await api.createJobs({ action: "compile", targets: { devices: ["lamp"] } });
    const job = await settledJob(api, jobs[0]!.jobId);
    const got = await waitFor(
      () => receiver.of("job_finished").find((p) => p.notice.data.jobId === job.id),
      "job_finished",
    );
    expect(verify(got)).toBe(true);
    expect(got.notice.data).toMatchObject({ deviceId: "lamp", action: "compile", state: "succeeded", source: "api" });
  });

  it("a device going offline and coming back is posted, from its presence (reported as Home Assistant does)", async () => {
    const report = (online: boolean) =>
      api.json<Device>("PUT", "/devices/lamp/presence", { source: "ha", online, esphomeVersion: "2026.10.0" });
    const from = receiver.posts.length;
    const presence = () => receiver.posts.slice(from).filter((p) => p.notice.event.startsWith("device_"));
    expect((await report(true)).online).toBe(true); // the first sighting: not an event
    expect((await report(false)).online).toBe(false);
    const offline = await waitFor(() => presence().find((p) => p.notice.event === "device_offline"), "device_offline");
    expect(verify(offline)).toBe(true);
    expect(offline.notice.data).toMatchObject({ deviceId: "lamp" });
    await report(false); // no change: no event
    await report(true);
    await waitFor(() => presence().some((p) => p.notice.event === "device_online"), "device_online");
    const { id } = await api.json<{ id: string }>("POST", "/notifications/webhook/test");
    await waitFor(() => receiver.posts.some((p) => p.notice.id === id), "the test event");
    expect(presence().map((p) => p.notice.event)).toEqual(["device_offline", "device_online"]);
  });

  it("retries with backoff until the receiver takes it; a slow receiver holds nothing up", async () => {
    receiver.answer = (_n, attempt) => (attempt < 3 ? 503 : 200);
    const { id } = await api.json<{ id: string }>("POST", "/notifications/webhook/test");
    await waitFor(() => receiver.posts.filter((p) => p.notice.id === id).length === 3, "three attempts", 20_000);
    const tries = receiver.posts.filter((p) => p.notice.id === id);
    // Backoff: about 1 s before the first retry, 2 s before the second (a busy machine only adds to them).
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(900);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(1900);
    await waitFor(
      async () => (await api.json<WebhookConfig>("GET", "/notifications/webhook")).lastDelivery?.attempts === 3,
      "the delivery recorded",
    );
    expect((await api.json<WebhookConfig>("GET", "/notifications/webhook")).lastDelivery).toMatchObject({
      ok: true,
      status: 200,
      event: "test",
    });

    // The receiver now takes its time: the sidecar answers meanwhile.
    let release!: () => void;
    const held = new Promise<number>((resolve) => (release = () => resolve(200)));
    receiver.answer = () => held;
    const slow = await api.json<{ id: string }>("POST", "/notifications/webhook/test");
    await waitFor(() => receiver.posts.some((p) => p.notice.id === slow.id), "the slow delivery to start");
    const health = await api.raw("GET", "/health");
    expect(health.status).toBe(200);
    expect((await api.json<WebhookConfig>("GET", "/notifications/webhook")).pending).toBe(1);
    release();
    receiver.answer = () => 204;
    await waitFor(
      async () => (await api.json<WebhookConfig>("GET", "/notifications/webhook")).pending === 0,
      "drained",
    );
  });

  it("sends only the events asked for; a schedule run is posted", async () => {
    await api.json("PUT", "/notifications/webhook", { url: receiver.url, events: ["schedule_ran"] });
    const s = await api.json<Schedule>("POST", "/schedules", {
      name: "lamp nightly",
      target: { kind: "device", deviceId: "lamp" },
      action: "compile",
      when: { cron: "0 3 * * *", timeZone: "UTC" },
    });
    const before = receiver.posts.length;
    const run = await api.json<{ jobIds: number[] }>("POST", `/schedules/${s.id}/run`);
    await settledJob(api, run.jobIds[0]!);
    const got = await waitFor(() => receiver.of("schedule_ran").find((p) => p.notice.data.scheduleId === s.id), "run");
    expect(verify(got)).toBe(true); // the secret was kept
    expect(got.notice.data).toMatchObject({ name: "lamp nightly", outcome: "queued", trigger: "manual" });
    // The job the run queued finished meanwhile, but job_finished is not among the events asked for.
    const { id } = await api.json<{ id: string }>("POST", "/notifications/webhook/test");
    await waitFor(() => receiver.posts.some((p) => p.notice.id === id), "the test event");
    expect(receiver.posts.slice(before).map((p) => p.notice.event)).toEqual(["schedule_ran", "test"]);
    await api.json("PUT", "/notifications/webhook", { url: receiver.url, events: [] });
  });

  it("refuses a URL that is not http(s), and turns off with null", async () => {
    const res = await api.raw("PUT", "/notifications/webhook", { url: "file:///etc/passwd" });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/http:\/\/ or https:\/\//);
    await api.json("PUT", "/notifications/webhook", { url: null });
    expect(await api.json("GET", "/notifications/webhook")).toMatchObject({ url: null, secretSet: false });
    expect((await api.raw("POST", "/notifications/webhook/test")).status).toBe(409);
    const put = await api.json<{ secret?: string }>("PUT", "/notifications/webhook", { url: receiver.url });
    secret = put.secret!; // a new one: the old secret went with the old webhook
  });
});

describe("alerts", () => {
  it("a device whose builds keep failing raises an alert (events stream, webhook); it clears when the rule is off", async () => {
    await api.json("PATCH", "/settings", { failingBuildsAlert: 2 });
    const events = new EventsClient(sc.url, sc.token);
    await events.opened;
    try {
      for (let i = 0; i < 2; i++) {
        const { jobs } = await api.createJobs({ action: "compile", targets: { devices: ["broken"] } });
        expect((await settledJob(api, jobs[0]!.jobId)).state).toBe("failed");
      }
      const alert = await waitFor(
        async () =>
          (await api.json<{ alerts: Alert[] }>("GET", "/alerts")).alerts.find((a) => a.kind === "builds_failing"),
        "the alert",
      );
      expect(alert).toMatchObject({ id: "builds_failing:broken", subject: "broken", details: { failures: 2 } });
      expect(alert.message).toMatch(/^The last 2 build\(s\) of broken failed; the latest \(job \d+, compile\) with: /);
      await waitFor(() => events.of("alert").find((e) => e.id === alert.id && e.op === "upsert"), "alert delta");
      const raised = await waitFor(
        () => receiver.of("alert_raised").find((p) => p.notice.data.id === alert.id),
        "raised",
      );
      expect(verify(raised)).toBe(true);

      await api.json("PATCH", "/settings", { failingBuildsAlert: 0 });
      await waitFor(() => events.of("alert").find((e) => e.id === alert.id && e.op === "remove"), "alert removed");
      await waitFor(() => receiver.of("alert_cleared").find((p) => p.notice.data.id === alert.id), "cleared");
      expect((await api.json<{ alerts: Alert[] }>("GET", "/alerts")).alerts).toEqual([]);
    } finally {
      events.close();
    }
  });
});

describe("ESPHome releases", () => {
  it("a release newer than the fleet's version is announced with its notes; reaching it clears it", async () => {
    await api.json("PATCH", "/settings", { defaultEsphomeVersion: "2026.10.0" });
    const events = new EventsClient(sc.url, sc.token);
    await events.opened;
    try {
      const { release } = await api.json<{ release: unknown }>("POST", "/esphome/releases/check");
      expect(release).toMatchObject({
        version: "2026.12.1",
        releaseNotesUrl: "https://esphome.io/changelog/2026.12.0.html",
        fleetVersion: "2026.10.0",
      });
      expect((await api.json<InfoResponse>("GET", "/info")).esphomeRelease?.version).toBe("2026.12.1");
      await waitFor(() => events.of("release").find((e) => e.release?.version === "2026.12.1"), "release delta");
      const got = await waitFor(() => receiver.of("esphome_release")[0], "esphome_release");
      expect(got.notice.data).toMatchObject({ version: "2026.12.1" });
      // Asking again finds nothing new: no second announcement.
      await api.json("POST", "/esphome/releases/check");
      await api.json("PATCH", "/settings", { defaultEsphomeVersion: "2026.12.1" });
      await waitFor(() => events.of("release").find((e) => e.release === null), "release cleared");
      expect((await api.json<InfoResponse>("GET", "/info")).esphomeRelease ?? null).toBeNull();
      expect(receiver.of("esphome_release")).toHaveLength(1);
    } finally {
      events.close();
    }
  });
});
