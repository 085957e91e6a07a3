// Content-trust attacks against a real sidecar with real worker processes (stand-in build). The
// attacker that has to speak the protocol wrongly — a garbled bundle, a key it never enrolled, bytes
// other than the ones it signed — is a faithful fake worker (test-support/fake-worker.ts). Each attack
// must end in the right trust state, a clear error, no flash, and nothing else disturbed.
import { randomBytes } from "node:crypto";
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job, TrustStatus, TrustVerdict } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  freePort,
  runCli,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { generateSigningKey, readPrivateKeyFile } from "../src/trust/keys/keys.js";
import { ownKeyPath } from "../src/trust/keys/own-keys.js";
import { REVOCATION_PAYLOAD_TYPE } from "../src/trust/revocation/revocation.js";
import { signDsse } from "../src/trust/keys/sign.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { otaImageOf as otaOf, settledJob, standinFlashes, startFlasher } from "../test-support/fleet-jobs.js";

type W = ProcHandle & { stateDir: string };
let sc: SidecarProc;
let api: Api;
let port: number;
let good: W;
let goodId = "";
/** The admin's flasher: every approved image is flashed by it, never by the worker that built it. */
let flasher: W;
const extra: { stop(): unknown }[] = [];
const DEVICES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"];

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(
    join(dataDir, "config"),
    DEVICES.map((id) => ({ id })),
  );
  port = await freePort();
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--port", String(port)], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  good = await worker("good");
  goodId = await workerId("good");
  flasher = await startFlasher(api, sc.url);
  extra.push(flasher);
});
afterAll(async () => {
  if (process.env.TRUST_ATTACKS_DEBUG) console.log(sc.output());
  await Promise.all(extra.map((e) => e.stop()));
  await good?.stop();
  await sc?.stop();
});

async function worker(name: string, stateDir?: string): Promise<W> {
  const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
  const w = startWorker({ url: sc.url, token: secret, name, stateDir });
  extra.push(w);
  return w;
}

async function workerId(name: string): Promise<string> {
  const w = await waitFor(
    async () =>
      (await api.json<{ workers: { id: string; name: string; online: boolean }[] }>("GET", "/workers")).workers.find(
        (x) => x.name === name && x.online,
      ),
    `${name} online`,
  );
  return w.id;
}

const settled = (id: number) => settledJob(api, id);

async function queue(action: Job["action"], device: string, params: Record<string, unknown> = {}): Promise<number> {
  // Builds are pinned to the good worker; an upload is a flash, which only the flasher does.
  const pin = action === "upload" ? {} : { workerId: goodId };
  const r = await api.createJobs({ action, targets: { devices: [device] }, params: { ...pin, ...params } });
  return r.jobs[0]!.jobId;
}
const run = async (action: Job["action"], device: string, params: Record<string, unknown> = {}) =>
  settled(await queue(action, device, params));

/** Stand-in flashes of a device, counted where the flashes happen: on the flasher. */
const flashes = (_builder: W, device: string) => standinFlashes(flasher, device);
const device = (id: string) => api.json<Device>("GET", `/devices/${id}`);
const cli = (...args: string[]) => runCli(["trust", ...args, "--server", sc.url, "--token", sc.token]);

/** The last trust verdicts the events stream announced for a device. */
function announced(ev: EventsClient, id: string): { pending: TrustVerdict; running: TrustVerdict } | undefined {
  return ev
    .of("device")
    .filter((m) => m.id === id && m.device)
    .at(-1)?.device?.trust;
}

describe("content trust under attack", () => {
  let charlieSha = "";

  it("a second worker process with the same worker id but another key is refused; the enrolled worker keeps building", async () => {
    const stateDir = tempDir("forge-impostor-");
    copyFileSync(join(good.stateDir, "worker.json"), join(stateDir, "worker.json"));
    const impostor = await worker("impostor", stateDir);
    // Its own token, the victim's id, another key: the id belongs to the victim's token and key.
    const why = new RegExp(`worker ${goodId} belongs to another worker token`);
    await waitFor(() => why.test(sc.output()), "the sidecar to refuse the impostor");
    await waitFor(() => why.test(impostor.output()), "the impostor to be told why");
    await impostor.stop();
    const workers = (await api.json<{ workers: { id: string; name: string; online: boolean }[] }>("GET", "/workers"))
      .workers;
    expect(workers.filter((w) => w.id === goodId)).toMatchObject([{ name: "good", online: true }]);

    const job = await run("compile_upload", "alpha");
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.trust).toMatchObject({
      state: "verified",
      policy: "enforce",
      outcome: "allowed",
      stage: "gate",
      firmwareSha256: otaOf(job),
    });
    expect(flashes(good, "alpha")).toBe(1);
    const charlie = await run("compile_upload", "charlie");
    expect(charlie.state, charlie.error ?? "").toBe("succeeded");
    charlieSha = otaOf(charlie);
  });

  it("a garbled, truncated, foreign-key or altered provenance is refused before any flash, with the reason on the job", async () => {
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name: "attacker" });
    const key = generateSigningKey();
    const fake = new FakeWorker({ url: sc.url, token: secret, workerId: "attacker-1", enrolKey: key });
    extra.push({ stop: () => fake.close() });
    await fake.welcomed;
    const pinned = { workerId: "attacker-1" };

    // compile whose result carries half a bundle: the build fails, nothing is approved.
    const c = await queue("compile", "foxtrot", pinned);
    const a = await fake.nextAssign(c);
    const img = fake.sendFirmware(a, "firmware.ota.bin", randomBytes(64 * 1024));
    const bundle = await fake.provenance(a, [img], key);
    fake.result(a, {
      firmware: [img],
      provenance: bundle.slice(0, bundle.length >> 1),
      esphomeVersion: a.esphomeVersion,
    });
    const compiled = await settled(c);
    expect(compiled.state).toBe("failed");
    expect(compiled.error).toMatch(/^content trust refused the build: worker bundle is not (valid )?JSON/);
    expect(compiled.trust).toMatchObject({
      state: "invalid",
      outcome: "blocked",
      stage: "approval",
      firmwareSha256: img.sha256,
    });
    expect((await device("foxtrot")).trust.pending.state).toBe("unknown");

    // compile_upload: the sidecar's answer to each bad provenance is "no", and says why.
    type Assign = Awaited<ReturnType<typeof fake.nextAssign>>;
    const image = (bytes: Buffer) => ({
      name: "firmware.ota.bin",
      sha256: FakeWorker.digest(bytes),
      size: bytes.length,
      kind: "ota" as const,
    });
    const attempt = async (dev: string, sent: Buffer, make: (a: Assign) => Promise<string>) => {
      const id = await queue("compile_upload", dev, pinned);
      const as = await fake.nextAssign(id);
      // A builder is never told where the device is, and asking to flash is always refused.
      expect(as).toMatchObject({ action: "compile", address: null });
      const image = fake.sendFirmware(as, "firmware.ota.bin", sent);
      const bundle = await make(as);
      fake.send({ type: "provenance", jobId: as.jobId, fence: as.fence, bundle });
      expect((await fake.approvalFor(as)).allow).toBe(false);
      fake.sendFirmware(as, "firmware.ota.bin", sent);
      fake.result(as, { phase: "compile", firmware: [image], provenance: bundle, esphomeVersion: as.esphomeVersion });
      const job = await settled(id);
      expect(job).toMatchObject({ state: "failed", phase: "compile", step: "build", flashSha256: null });
      expect(job.trust).toMatchObject({
        outcome: "blocked",
        stage: "approval",
        firmwareSha256: FakeWorker.digest(sent),
      });
      expect(await api.log(id)).toContain(job.error!);
      return { error: job.error, verdict: job.trust! };
    };
    const garbage = await attempt(
      "golf",
      randomBytes(64 * 1024),
      async () => '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", garbage',
    );
    expect(garbage.error).toMatch(/content trust refused the build: worker bundle is not (valid )?JSON/);
    expect(garbage.verdict.state).toBe("invalid");

    // Correct statement over the right bytes, signed by a key the sidecar never enrolled.
    const stranger = generateSigningKey();
    const fw = randomBytes(64 * 1024);
    const unenrolled = await attempt("hotel", fw, (as) => fake.provenance(as, [image(fw)], stranger));
    expect(unenrolled.error).toMatch(/content trust refused the build: worker bundle: .*(not enrolled|unknown)/i);
    expect(unenrolled.verdict.state).toBe("unknown_signer");

    // Signed over one set of bytes, sent another: the sidecar hashes what it received.
    const signedBytes = randomBytes(64 * 1024);
    const altered = Buffer.from(signedBytes);
    altered[4000]! ^= 0x01;
    const swapped = await attempt("india", altered, (as) => fake.provenance(as, [image(signedBytes)], key));
    expect(swapped.error).toMatch(
      /content trust refused the build: received image [0-9a-f]{12}… is not among the worker's signed outputs: it was altered after signing/,
    );
    expect(swapped.verdict.state).toBe("invalid");
    fake.close();

    // Nothing else disturbed: the enrolled worker still builds and flashes verified firmware.
    const ok = await run("compile_upload", "golf");
    expect(ok.state, ok.error ?? "").toBe("succeeded");
    expect(ok.trust?.state).toBe("verified");
    expect(flashes(good, "golf")).toBe(1);
  });

  it("revoking a worker turns its earlier firmware revoked (announced on the events stream), closes its link and it gets no further job", async () => {
    const rogue = await worker("rogue");
    const rogueId = await workerId("rogue");
    const built = await run("compile_upload", "bravo", { workerId: rogueId });
    expect(built.state, built.error ?? "").toBe("succeeded");
    expect(flashes(rogue, "bravo")).toBe(1);
    expect((await device("bravo")).trust.running.state).toBe("verified");

    const ev = new EventsClient(sc.url, sc.token);
    extra.push({ stop: () => ev.close() });
    await ev.opened;
    await waitFor(() => ev.of("snapshot").length > 0, "snapshot");
    const rev = await api.json<{ version: number }>("POST", "/trust/revocations", {
      entries: [{ kind: "worker", workerId: rogueId, reason: "stolen laptop" }],
    });
    const why = new RegExp(`worker ${rogueId} is revoked: stolen laptop`);
    const seen = await waitFor(
      () => (announced(ev, "bravo")?.running.state === "revoked" ? announced(ev, "bravo") : null),
      "bravo announced revoked",
    );
    expect(seen.running.reason).toMatch(why);
    expect(seen.pending).toMatchObject({ state: "revoked", firmwareSha256: otaOf(built) });
    // Devices built by other workers are re-announced too, and stay verified.
    await waitFor(() => announced(ev, "charlie")?.pending.state === "verified", "charlie re-announced, still verified");
    expect((await device("bravo")).trust.running.reason).toMatch(why);

    // Revoking the worker's key revokes the worker itself: its link is closed at once, it cannot come back,
    // and a job pinned to it is never handed to it (no bundle, no secret, no flash).
    await waitFor(async () => {
      const w = (
        await api.json<{ workers: { id: string; online: boolean; enrolment: string }[] }>("GET", "/workers")
      ).workers.find((x) => x.id === rogueId);
      return w && !w.online && w.enrolment === "revoked";
    }, "the rogue worker revoked and disconnected");
    const pinned = await queue("compile_upload", "bravo", { workerId: rogueId });
    // A job the good worker runs after it: by then the pinned one had every chance to be dispatched.
    expect((await run("compile", "charlie")).state).toBe("succeeded");
    // Never dispatched: it waits (blocked, naming the offline pinned worker) until cancelled.
    expect(["queued", "blocked"]).toContain((await api.job(pinned)).state);
    await api.json("POST", `/jobs/${pinned}/cancel`, {});
    expect(flashes(rogue, "bravo")).toBe(1);
    expect(rev.version).toBeGreaterThan(0);
    await rogue.stop();
  });

  it("an older approved build replayed after a newer one was flashed is blocked as a rollback", async () => {
    const first = await run("compile_upload", "delta");
    expect(first.state, first.error ?? "").toBe("succeeded");
    const before = (await device("delta")).configHash;
    appendFileSync(join(sc.dataDir, "config", "delta.yaml"), "# second revision\n");
    await waitFor(async () => (await device("delta")).configHash !== before, "delta's new config to be read");
    const second = await run("compile_upload", "delta");
    expect(second.state, second.error ?? "").toBe("succeeded");
    expect(otaOf(second)).not.toBe(otaOf(first));
    expect(flashes(good, "delta")).toBe(2);

    const replay = await run("upload", "delta", { firmwareSha256: otaOf(first) });
    expect(replay.state).toBe("failed");
    expect(replay.error).toMatch(
      /content trust blocked the upload: .*rollback refused: build #1 is older than build #2 already on delta/,
    );
    expect(replay.trust).toMatchObject({
      state: "invalid",
      outcome: "blocked",
      firmwareSha256: otaOf(first),
      buildSequence: 1,
    });
    expect(flashes(good, "delta")).toBe(2);
    expect((await device("delta")).trust.running).toMatchObject({ state: "verified", buildSequence: 2 });
  });

  it("a device's own trust_policy overrides the fleet's: warn flashes a revoked artifact and records it, clearing it blocks again", async () => {
    const built = await run("compile", "echo");
    expect(built.state, built.error ?? "").toBe("succeeded");
    expect(built.trust).toMatchObject({ state: "verified", stage: "approval", outcome: "allowed" });
    const sha = otaOf(built);
    await api.json("POST", "/trust/revocations", {
      entries: [{ kind: "artifact", sha256: sha, reason: "bad sensor driver" }],
    });

    const patched = await api.json<Device>("PATCH", "/devices/echo/metadata", { trustPolicy: "warn" });
    expect(patched.trustPolicy).toBe("warn");
    expect(readFileSync(join(sc.dataDir, "config", "echo.yaml"), "utf8")).toMatch(
      /^# esphome-forge:\n# {3}trust_policy: warn\n/,
    );
    const warned = await run("upload", "echo", { firmwareSha256: sha });
    expect(warned.state, warned.error ?? "").toBe("succeeded");
    expect(warned.trust).toMatchObject({ state: "revoked", policy: "warn", outcome: "warned", stage: "gate" });
    expect(await api.log(warned.id)).toMatch(/content trust \(warn mode\): .*bad sensor driver; flashing anyway/);
    expect(flashes(good, "echo")).toBe(1);

    expect((await api.json<Device>("PATCH", "/devices/echo/metadata", { trustPolicy: null })).trustPolicy).toBeNull();
    const blocked = await run("upload", "echo", { firmwareSha256: sha });
    expect(blocked.state).toBe("failed");
    expect(blocked.error).toMatch(/content trust blocked the upload: .*bad sensor driver/);
    expect(blocked.trust).toMatchObject({ state: "revoked", policy: "enforce", outcome: "blocked" });
    expect(flashes(good, "echo")).toBe(1);
  });

  it("after the revocation list expires states read stale (announced), enforce blocks; a fresh list restores them", async () => {
    // An offline signer holding the pinned revocation key issues a short-lived list; the CLI imports it.
    const cur = await api.json<{ version: number; entries: unknown[] }>("GET", "/trust/revocations");
    const key = readPrivateKeyFile(ownKeyPath(join(sc.dataDir, "trust", "keys"), "revocation"));
    const now = Date.now();
    const list = {
      version: cur.version + 1,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 2500).toISOString(),
      entries: cur.entries,
    };
    const dir = tempDir("forge-revlist-");
    const file = join(dir, "list.sigstore.json");
    const exported = await cli("export", "--out", join(dir, "old.sigstore.json"));
    expect(exported.out).toContain(`wrote revocation list v${cur.version}`);
    writeFileSync(
      file,
      JSON.stringify(await signDsse(Buffer.from(JSON.stringify(list)), REVOCATION_PAYLOAD_TYPE, key)),
    );
    const ev = new EventsClient(sc.url, sc.token);
    extra.push({ stop: () => ev.close() });
    await ev.opened;
    const imported = await cli("import", file);
    expect(imported.code, imported.out).toBe(0);
    expect(imported.out).toContain(`imported revocation list v${list.version}`);
    // Older versions are refused.
    const older = await cli("import", join(dir, "old.sigstore.json"));
    expect(older.code).toBe(1);
    expect(older.out).toMatch(new RegExp(`revocation list refused: .*version ${cur.version}.*${list.version}`));

    const stale = await waitFor(
      () => (announced(ev, "charlie")?.pending.state === "stale" ? announced(ev, "charlie") : null),
      "charlie announced stale",
      10_000,
    );
    expect(stale.pending.reason).toMatch(/revocation list .*expired/i);
    expect((await device("charlie")).trust.pending.state).toBe("stale");
    const status = await api.json<TrustStatus>("GET", "/trust/status");
    expect(status.revocations).toMatchObject({ version: list.version, expired: true });

    const before = flashes(good, "charlie");
    const blocked = await run("upload", "charlie", { firmwareSha256: charlieSha });
    expect(blocked.state).toBe("failed");
    expect(blocked.error).toMatch(/content trust blocked the upload: firmware [0-9a-f]{12}… is stale: .*expired/);
    expect(flashes(good, "charlie")).toBe(before);

    const fresh = await cli("revoke", "--worker", "never-existed", "--reason", "republish", "--valid-days", "30");
    expect(fresh.code, fresh.out).toBe(0);
    expect(fresh.out).toMatch(new RegExp(`published revocation list v${list.version + 1}`));
    await waitFor(async () => (await device("charlie")).trust.pending.state === "verified", "charlie verified again");
  });

  it("rotating the sidecar key keeps earlier approvals verifiable and signs new ones with the new key", async () => {
    const r = await cli("rotate", "sidecar", "--json");
    expect(r.code, r.out).toBe(0);
    const { current, retired } = JSON.parse(r.out) as {
      current: { hint: string };
      retired: { hint: string; retiredAt: string }[];
    };
    expect(retired).toHaveLength(1);
    expect(retired[0]!.hint).not.toBe(current.hint);
    expect((await device("charlie")).trust.pending.state).toBe("verified");
    const keys = await cli("keys");
    expect(keys.out).toMatch(
      new RegExp(`sidecar\\s+sidecar\\s+${retired[0]!.hint.replace(/[+/=]/g, "\\$&")}\\s+retired`),
    );
    const job = await run("compile_upload", "alpha");
    expect(job.trust?.state, job.trust?.reason).toBe("verified");
    expect(job.trust?.signer).toContain(current.hint.slice(0, 8));
  });

  it("log rows edited while the sidecar is stopped: a new one is reported by the check at start, an old one by the full check, in the status and the CLI", async () => {
    // The check at start goes on from where the last clean check ended (recorded now by a recheck).
    const before = await api.json<TrustStatus>("GET", "/trust/status?recheck=true");
    expect(before.log.audit).toMatchObject({ ok: true });
    const audited = before.log.audit!.treeSize;
    expect((await run("compile", "golf")).state).toBe("succeeded"); // appends the build and its approval
    await sc.stop();
    const db = new Database(join(sc.dataDir, "forge.db"));
    const flip = (idx: number) => {
      const body = Buffer.from(
        db.prepare("SELECT body FROM trust_log_leaves WHERE idx = ?").pluck().get(idx) as Buffer,
      );
      body[body.length - 2]! ^= 0x01;
      db.prepare("UPDATE trust_log_leaves SET body = ? WHERE idx = ?").run(body, idx);
    };
    const oldRow = 3;
    const newRow = audited + 1;
    flip(oldRow);
    flip(newRow);
    db.close();
    sc = await startSidecar({
      dataDir: sc.dataDir,
      args: ["--no-seed", "--port", String(port), "--admin-token", sc.token],
      localSlots: 0,
    });
    api = new Api(sc.url, sc.token);
    await waitFor(() => /CONSISTENCY CHECK FAILED/.test(sc.output()), "the start-up check to report");
    const status = await api.json<TrustStatus>("GET", "/trust/status");
    expect(status.log.audit).toMatchObject({ ok: false, scope: "incremental", fromTreeSize: audited });
    expect(status.log.audit?.problems.join("\n")).toMatch(new RegExp(`entry ${newRow} was modified`));
    expect(status.log.audit?.problems.join("\n")).not.toMatch(new RegExp(`entry ${oldRow} was modified`));
    const r = await cli("status");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/consistency check FAILED \(entries from \d+ on; --full for all\)/);
    expect(r.out).toMatch(/problem: /);
    const full = await cli("status", "--full");
    expect(full.code).toBe(1);
    expect(full.out).toMatch(/consistency check FAILED \(full\)/);
    expect(full.out).toMatch(new RegExp(`problem: entry ${oldRow} was modified`));
    expect(full.out).toMatch(new RegExp(`problem: entry ${newRow} was modified`));
  });
});
