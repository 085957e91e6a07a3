// The worker link as an attacker meets it, with real processes and real sockets: the sidecar listens on
// every address and speaks TLS to anyone but this machine; workers join with a one-time code that pins
// the sidecar's key, wait for the admin's decision, prove their key bound to the TLS session, and lose
// everything at once when revoked. The machine's LAN address (not loopback) stands for "another machine".
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, PairingResponse, WorkerCloseCode, type Worker } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  runCli,
  startCli,
  startSidecar,
  STANDIN_COMMAND,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { readCredential } from "../src/build-worker/credential.js";
import { generateSigningKey, readPrivateKeyFile } from "../src/trust/keys/keys.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { settledJob } from "../test-support/fleet-jobs.js";
import { startRecordingProxy } from "../test-support/recording-proxy.js";

/** An address of this machine that is not loopback: connections from it count as "another machine". */
const LAN = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

let sc: SidecarProc;
let api: Api;
let port = 0;
const procs: ProcHandle[] = [];

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "desk" }, { id: "attic" }]);
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--host", "0.0.0.0"], autoApproveWorkers: false });
  port = Number(new URL(sc.url).port);
  api = new Api(`http://127.0.0.1:${port}`, sc.token);
});
afterAll(async () => {
  for (const p of procs) await p.stop();
  await sc?.stop();
});

const workers = async () => (await api.json<{ workers: Worker[] }>("GET", "/workers")).workers;
const pair = (host = LAN) => api.json("POST", "/workers/pairing", { host }, PairingResponse);

function joinWorker(link: string, stateDir: string, name: string): ProcHandle {
  const p = startCli([
    "worker",
    "join",
    link,
    "--state-dir",
    stateDir,
    "--name",
    name,
    "--build-command",
    STANDIN_COMMAND,
  ]);
  procs.push(p);
  return p;
}

describe.skipIf(!LAN)("the worker link", () => {
  it("prints a TLS address and the key fingerprint; plain HTTP from another machine is refused before any request is read", async () => {
    expect(sc.url).toMatch(/^https:\/\//);
    expect(sc.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const plain = await fetch(`http://${LAN}:${port}/api/v1/health`);
    expect(plain.status).toBe(426);
    const body = ErrorBody.parse(await plain.json());
    expect(body.error.code).toBe("tls_required");
    expect(body.error.message).toContain(sc.fingerprint);
    // A worker started with plain http:// to another machine refuses by itself: its token would cross in clear.
    const { code, out } = await runCli([
      "worker",
      "--server",
      `http://${LAN}:${port}`,
      "--token",
      "efw_x_y",
      "--state-dir",
      tempDir(),
    ]);
    expect(code).not.toBe(0);
    expect(out).toMatch(/plain HTTP to another machine/);
    // No insecure_transport problem: the sidecar was not started with --insecure-transport.
    const info = await api.json<{ problems: { code: string }[] }>("GET", "/info");
    expect(info.problems.map((p) => p.code)).not.toContain("insecure_transport");
  });

  it("pairs in one step: join pins the key, waits pending with no job, is approved on the fingerprint, then builds; later starts need no arguments", async () => {
    const p = await pair();
    expect(p.link).toBe(`forge://${LAN}:${port}/#${p.code}@${sc.fingerprint}`);
    expect(p.command).toContain("worker join");
    const stateDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, stateDir, "garage");
    const pending = await waitFor(
      async () => (await workers()).find((x) => x.name === "garage" && x.enrolment === "pending" && x.pendingKey),
      "the joined worker pending",
    );
    expect(pending.online).toBe(false); // no session: no job, no bundle
    const cred = await waitFor(() => readCredential(stateDir), "the credential saved");
    expect(cred.pins).toEqual([sc.fingerprint]);
    expect(statSync(join(stateDir, "credential.json")).mode & 0o777).toBe(0o600);
    // A job while it waits stays queued: a pending worker gets nothing.
    const { jobs } = await api.createJobs({ action: "compile", targets: { devices: ["desk"] } });
    await waitFor(() => w.output().includes("waiting for an admin"), "the worker told it waits");
    expect((await api.job(jobs[0]!.jobId)).state).toBe("queued");
    // Approving a fingerprint the admin did not see is refused; the right one admits it.
    const wrong = await api.raw("POST", `/workers/${pending.id}/approve`, { fingerprint: "0".repeat(64) });
    expect(wrong.status).toBe(400);
    const { out, code } = await runCli([
      "workers",
      "approve",
      pending.id,
      "--fingerprint",
      pending.pendingKey!.fingerprint,
      "--server",
      api.url,
      "--token",
      sc.token,
    ]);
    expect(code, out).toBe(0);
    const done = await settledJob(api, jobs[0]!.jobId);
    expect(done.state).toBe("succeeded");
    expect(done.workerId).toBe(pending.id);
    // Restarted with no arguments: the stored credential, the pinned key.
    await w.stop();
    const again = startCli(["worker", "--state-dir", stateDir, "--build-command", STANDIN_COMMAND]);
    procs.push(again);
    await waitFor(async () => (await workers()).find((x) => x.id === pending.id && x.online), "back online");
    await again.stop();
  });

  it("refuses a reused code and an expired one, saying which", async () => {
    const p = await pair();
    const first = joinWorker(p.link, tempDir("forge-worker-"), "one");
    await waitFor(async () => (await workers()).find((x) => x.name === "one"), "the first join");
    await first.stop();
    const reused = await runCli(["worker", "join", p.link, "--state-dir", tempDir("forge-worker-"), "--name", "two"]);
    expect(reused.code).toBe(3);
    expect(reused.out).toMatch(/already used/);

    const late = await pair();
    // Ten minutes pass (the code's expiry moved into the past in the sidecar's own database).
    const db = new Database(join(sc.dataDir, "forge.db"));
    db.prepare("UPDATE pairing_codes SET expires_at = ? WHERE id = ?").run(Date.now() - 1, late.code.split("_")[0]);
    db.close();
    const expired = await runCli([
      "worker",
      "join",
      late.link,
      "--state-dir",
      tempDir("forge-worker-"),
      "--name",
      "three",
    ]);
    expect(expired.code).toBe(3);
    expect(expired.out).toMatch(/expired/);
    expect((await workers()).map((x) => x.name)).not.toContain("three");
  });

  it("a worker whose link pins another key (a second sidecar, or a proxy with its own certificate) refuses and sends nothing", async () => {
    const other = await startSidecar({ args: ["--no-seed", "--host", "0.0.0.0"], autoApproveWorkers: false });
    procs.push(other);
    const otherApi = new Api(`http://127.0.0.1:${new URL(other.url).port}`, other.token);
    const p = await otherApi.json("POST", "/workers/pairing", { host: LAN }, PairingResponse);
    // The same code and address, but the key this worker was told to expect is the first sidecar's.
    const forged = p.link.replace(p.fingerprint!, sc.fingerprint);
    const r = await runCli(["worker", "join", forged, "--state-dir", tempDir("forge-worker-"), "--name", "mitm"]);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`presents TLS key sha256 ${other.fingerprint}`);
    expect(r.out).toMatch(/Nothing was sent/);
    // The code is untouched: the real worker can still use it.
    const real = startCli(["worker", "join", p.link, "--state-dir", tempDir("forge-worker-"), "--name", "real"]);
    procs.push(real);
    await waitFor(() => /joined .* as /.test(real.output()), "the real worker joined");
    await real.stop();
    await other.stop();
  });

  it("a credential without its worker's key is refused; so is a proof made for another TLS session", async () => {
    const p = await pair();
    const stateDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, stateDir, "victim");
    const cred = await waitFor(() => readCredential(stateDir), "the credential");
    await w.stop();
    const trust = { kind: "pin" as const, pins: [sc.fingerprint] };
    const url = `https://${LAN}:${port}`;
    // The stolen credential, another key.
    const thief = new FakeWorker({
      url,
      token: cred.token,
      workerId: cred.workerId,
      enrolKey: generateSigningKey(),
      trust,
    });
    const closed = await thief.closed;
    expect(closed.code).toBe(WorkerCloseCode.unauthorized);
    expect(closed.reason).toMatch(/credential/);
    // With the key, over its own TLS session: admitted to wait for the admin (the check above can pass).
    const key = readPrivateKeyFile(join(stateDir, "trust", "worker-key.pem"));
    const owner = new FakeWorker({ url, token: cred.token, workerId: cred.workerId, enrolKey: key, trust });
    await owner.until(() => owner.received.find((m) => m.type === "pending"), "pending");
    owner.close();
    // The key's proof made for another channel (what a relay in the middle would have the worker sign).
    const relay = new FakeWorker({
      url,
      token: cred.token,
      workerId: cred.workerId,
      enrolKey: key,
      trust,
      signChannel: () => "none",
    });
    const relayed = await relay.closed;
    expect(relayed.code).toBe(WorkerCloseCode.unauthorized);
    expect(relayed.reason).toMatch(/prove/);
  });

  it("revoking a worker closes its link at once; its credential cannot come back under a new id and key", async () => {
    const p = await pair();
    const stateDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, stateDir, "doomed");
    const joined = await waitFor(
      async () => (await workers()).find((x) => x.name === "doomed" && x.pendingKey),
      "doomed pending",
    );
    await api.json("POST", `/workers/${joined.id}/approve`, { fingerprint: joined.pendingKey!.fingerprint });
    await waitFor(async () => (await workers()).find((x) => x.id === joined.id && x.online), "doomed online");
    const cred = readCredential(stateDir)!;
    await api.json("POST", `/workers/${joined.id}/revoke`, { reason: "laptop stolen" });
    const after = await waitFor(
      async () => (await workers()).find((x) => x.id === joined.id && !x.online),
      "the revoked worker disconnected",
      5_000,
    );
    expect(after.enrolment).toBe("revoked");
    await w.stop();
    // Its token under a brand-new id with a brand-new key: refused at the door.
    const back = new FakeWorker({
      url: `https://${LAN}:${port}`,
      token: cred.token,
      workerId: "0123456789abcdef0123456789abcdef",
      enrolKey: generateSigningKey(),
      trust: { kind: "pin", pins: [sc.fingerprint] },
    });
    await back.closed;
    expect((await workers()).map((x) => x.id)).not.toContain("0123456789abcdef0123456789abcdef");
  });

  it("worker rotate-key keeps the worker's id: the new key waits for the admin while the old one builds, then replaces it", async () => {
    const p = await pair();
    const stateDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, stateDir, "rotator");
    const joined = await waitFor(
      async () => (await workers()).find((x) => x.name === "rotator" && x.pendingKey),
      "rotator pending",
    );
    await api.json("POST", `/workers/${joined.id}/approve`, { fingerprint: joined.pendingKey!.fingerprint });
    const first = await waitFor(
      async () => (await workers()).find((x) => x.id === joined.id && x.online),
      "rotator online",
    );
    await w.stop();
    const rotated = await runCli(["worker", "rotate-key", "--state-dir", stateDir]);
    expect(rotated.code, rotated.out).toBe(0);
    const again = startCli(["worker", "--state-dir", stateDir, "--build-command", STANDIN_COMMAND]);
    procs.push(again);
    // Online with its approved key; the new one waits beside it.
    const waiting = await waitFor(
      async () => (await workers()).find((x) => x.id === joined.id && x.online && x.pendingKey?.kind === "rotate"),
      "the new key waiting",
    );
    expect(waiting.keyFingerprint).toBe(first.keyFingerprint);
    expect(waiting.enrolment).toBe("approved");
    await api.json("POST", `/workers/${joined.id}/approve`, { fingerprint: waiting.pendingKey!.fingerprint });
    const after = await waitFor(
      async () =>
        (await workers()).find(
          (x) => x.id === joined.id && x.online && x.keyFingerprint === waiting.pendingKey!.fingerprint,
        ),
      "back online signing with the new key",
    );
    expect(after.pendingKey).toBeNull();
    await waitFor(() => again.output().includes("the new signing key was approved"), "the worker switched keys");
    await again.stop();
  });

  it("tls rotate: a connected worker learns the new key first and reconnects; one that was away is refused until paired again", async () => {
    const p = await pair();
    const onlineDir = tempDir("forge-worker-");
    const awayDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, onlineDir, "stays");
    const stays = await waitFor(
      async () => (await workers()).find((x) => x.name === "stays" && x.pendingKey),
      "stays pending",
    );
    await api.json("POST", `/workers/${stays.id}/approve`, {});
    await waitFor(async () => (await workers()).find((x) => x.id === stays.id && x.online), "stays online");
    const away = joinWorker((await pair()).link, awayDir, "away");
    await waitFor(() => readCredential(awayDir), "away joined");
    await away.stop();

    const r = await runCli(["tls", "rotate", "--server", api.url, "--token", sc.token]);
    expect(r.code, r.out).toBe(0);
    const next = /fingerprint \(sha256\): ([0-9a-f ]+)/.exec(r.out)![1]!.replace(/ /g, "");
    expect(next).not.toBe(sc.fingerprint);
    await waitFor(() => readCredential(onlineDir)!.pins.includes(next), "the connected worker pinned the new key");
    // A restart connects to the new certificate with the pins it holds.
    await w.stop();
    const back = startCli(["worker", "--state-dir", onlineDir, "--build-command", STANDIN_COMMAND]);
    procs.push(back);
    await waitFor(async () => (await workers()).find((x) => x.id === stays.id && x.online), "stays back online");
    await waitFor(() => readCredential(onlineDir)!.pins.join() === next, "the old pin dropped").catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(readCredential(onlineDir))}\n${back.output()}`);
    });
    await back.stop();
    // The worker that was away still pins only the old key: it refuses the sidecar, sending nothing.
    const lost = startCli(["worker", "--state-dir", awayDir, "--build-command", STANDIN_COMMAND]);
    procs.push(lost);
    await waitFor(
      () => /presents TLS key sha256 [0-9a-f]{64}, but this worker pinned/.test(lost.output()),
      "the pin refusal",
    );
    await lost.stop();
    sc.fingerprint = next;
  });

  it("a user's own certificate: the link pins nothing and workers verify it with their CAs", async () => {
    // A private CA and a certificate it issued for 127.0.0.1 (what a reverse proxy or a public name would have).
    const dir = tempDir("forge-ca-");
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=Forge test CA",
    );
    ssl(
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
      "-subj",
      "/CN=127.0.0.1",
    );
    writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    ssl(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.pem",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
    const own = await startSidecar({
      args: ["--no-seed", "--tls-cert", join(dir, "leaf.pem"), "--tls-key", join(dir, "leaf.key")],
      autoApproveWorkers: true,
    });
    procs.push(own);
    const ownPort = new URL(own.url).port;
    const ownApi = new Api(`http://127.0.0.1:${ownPort}`, own.token);
    const p = await ownApi.json("POST", "/workers/pairing", { host: "127.0.0.1" }, PairingResponse);
    expect(p.fingerprint).toBeNull();
    expect(p.link).toBe(`forge://127.0.0.1:${ownPort}/#${p.code}`);
    // Without the CA, the certificate is not trusted: the join fails and nothing is redeemed.
    const untrusted = await runCli(["worker", "join", p.link, "--state-dir", tempDir("forge-worker-"), "--name", "x"]);
    expect(untrusted.code).toBe(3);
    expect(untrusted.out).toMatch(/certificate/i);
    // With it, the same link joins over normal CA verification.
    const stateDir = tempDir("forge-worker-");
    const w = startCli(
      ["worker", "join", p.link, "--state-dir", stateDir, "--name", "ca-worker", "--build-command", STANDIN_COMMAND],
      { NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") },
    );
    procs.push(w);
    await waitFor(
      async () =>
        (await ownApi.json<{ workers: Worker[] }>("GET", "/workers")).workers.find(
          (x) => x.name === "ca-worker" && x.online,
        ),
      "the CA-verified worker online",
    );
    expect(readCredential(stateDir)!.pins).toEqual([]);
    await w.stop();
    await own.stop();
  });

  it("on the wire: neither the worker's credential nor any secret a build needs is readable", async () => {
    const proxy = await startRecordingProxy({ host: "127.0.0.1", port });
    procs.push({ stop: () => proxy.close().then(() => 0) } as unknown as ProcHandle);
    const p = await pair("127.0.0.1");
    const link = p.link.replace(`:${port}/`, `:${proxy.port}/`);
    const stateDir = tempDir("forge-worker-");
    joinWorker(link, stateDir, "wire");
    const joined = await waitFor(
      async () => (await workers()).find((x) => x.name === "wire" && x.pendingKey),
      "wire pending",
    );
    await api.json("POST", `/workers/${joined.id}/approve`, {});
    const { jobs } = await api.createJobs({ action: "compile", targets: { devices: ["attic"] } });
    const built = await settledJob(api, jobs[0]!.jobId);
    expect(built.state).toBe("succeeded");
    expect(built.workerId).toBe(joined.id); // the only worker online: it went through the proxy
    const wire = proxy.captured();
    const token = readCredential(stateDir)!.token;
    expect(wire.length).toBeGreaterThan(1000);
    // The secret did cross this wire (the worker built with it)…
    expect(readFileSync(join(stateDir, "builds", "attic", "secrets.yaml"), "utf8")).toContain("correct horse");
    // …and nothing readable of it, or of the credential, is in what a listener on the path saw.
    for (const secret of [
      token,
      // The secret part is base64url and may itself hold "_": everything after `efw_<id>_`.
      token.split("_").slice(2).join("_"),
      "correct horse",
      Buffer.from("correct horse").toString("base64"),
    ])
      expect(wire.includes(Buffer.from(secret)), secret).toBe(false);
  });
});
