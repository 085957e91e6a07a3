// The worker link as an attacker meets it, with real processes and real sockets — TLS and pairing: the
// sidecar listens on every address and speaks TLS to anyone but this machine; workers join with a
// one-time code that pins the sidecar's key, wait for the admin's decision, and follow a TLS key
// rotation; nothing secret is readable on the wire. (Credentials, revocation and worker keys:
// worker-link-identity.test.ts.)
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ErrorBody, PairingResponse, type Worker } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import {
  runCli,
  startCli,
  startSidecar,
  STANDIN_COMMAND,
  tempDir,
  waitFor,
  type ProcHandle,
} from "../src/devtools/processes.js";
import { readCredential } from "../src/build-worker/credential.js";
import { settledJob } from "../test-support/fleet-jobs.js";
import { startRecordingProxy } from "../test-support/recording-proxy.js";
import { LAN, useWorkerLinkSidecar } from "../test-support/worker-link.js";

const link = useWorkerLinkSidecar(["desk", "attic"]);
const { procs, workers, pair, joinWorker } = link;

describe.skipIf(!LAN)("the worker link: TLS and pairing", () => {
  it("prints a TLS address and the key fingerprint; plain HTTP from another machine is refused before any request is read", async () => {
    expect(link.sc.url).toMatch(/^https:\/\//);
    expect(link.sc.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const plain = await fetch(`http://${LAN}:${link.port}/api/v1/health`);
    expect(plain.status).toBe(426);
    const body = ErrorBody.parse(await plain.json());
    expect(body.error.code).toBe("tls_required");
    expect(body.error.message).toContain(link.sc.fingerprint);
    // A worker started with plain http:// to another machine refuses by itself: its token would cross in clear.
    const { code, out } = await runCli([
      "worker",
      "--server",
      `http://${LAN}:${link.port}`,
      "--token",
      "efw_x_y",
      "--state-dir",
      tempDir(),
    ]);
    expect(code).not.toBe(0);
    expect(out).toMatch(/plain HTTP to another machine/);
    // No insecure_transport problem: the sidecar was not started with --insecure-transport.
    const info = await link.api.json<{ problems: { code: string }[] }>("GET", "/info");
    expect(info.problems.map((p) => p.code)).not.toContain("insecure_transport");
  });

  it("pairs in one step: join pins the key, waits pending with no job, is approved on the fingerprint, then builds; later starts need no arguments", async () => {
    const p = await pair();
    expect(p.link).toBe(`forge://${LAN}:${link.port}/#${p.code}@${link.sc.fingerprint}`);
    expect(p.command).toContain("worker join");
    const stateDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, stateDir, "garage");
    const pending = await waitFor(
      async () => (await workers()).find((x) => x.name === "garage" && x.enrolment === "pending" && x.pendingKey),
      "the joined worker pending",
    );
    expect(pending.online).toBe(false); // no session: no job, no bundle
    const cred = await waitFor(() => readCredential(stateDir), "the credential saved");
    expect(cred.pins).toEqual([link.sc.fingerprint]);
    expect(statSync(join(stateDir, "credential.json")).mode & 0o777).toBe(0o600);
    // A job while it waits stays queued: a pending worker gets nothing.
    const { jobs } = await link.api.createJobs({ action: "compile", targets: { devices: ["desk"] } });
    await waitFor(() => w.output().includes("waiting for an admin"), "the worker told it waits");
    expect((await link.api.job(jobs[0]!.jobId)).state).toBe("queued");
    // Approving a fingerprint the admin did not see is refused; the right one admits it.
    const wrong = await link.api.raw("POST", `/workers/${pending.id}/approve`, { fingerprint: "0".repeat(64) });
    expect(wrong.status).toBe(400);
    const { out, code } = await runCli([
      "workers",
      "approve",
      pending.id,
      "--fingerprint",
      pending.pendingKey!.fingerprint,
      "--server",
      link.api.url,
      "--token",
      link.sc.token,
    ]);
    expect(code, out).toBe(0);
    const done = await settledJob(link.api, jobs[0]!.jobId);
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
    const db = new Database(join(link.sc.dataDir, "forge.db"));
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
    const forged = p.link.replace(p.fingerprint!, link.sc.fingerprint);
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

  it("tls rotate: a connected worker learns the new key first and reconnects; one that was away is refused until paired again", async () => {
    const p = await pair();
    const onlineDir = tempDir("forge-worker-");
    const awayDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, onlineDir, "stays");
    const stays = await waitFor(
      async () => (await workers()).find((x) => x.name === "stays" && x.pendingKey),
      "stays pending",
    );
    await link.api.json("POST", `/workers/${stays.id}/approve`, {});
    await waitFor(async () => (await workers()).find((x) => x.id === stays.id && x.online), "stays online");
    const away = joinWorker((await pair()).link, awayDir, "away");
    await waitFor(() => readCredential(awayDir), "away joined");
    await away.stop();

    const r = await runCli(["tls", "rotate", "--server", link.api.url, "--token", link.sc.token]);
    expect(r.code, r.out).toBe(0);
    const next = /fingerprint \(sha256\): ([0-9a-f ]+)/.exec(r.out)![1]!.replace(/ /g, "");
    expect(next).not.toBe(link.sc.fingerprint);
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
    link.sc.fingerprint = next;
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
    const proxy = await startRecordingProxy({ host: "127.0.0.1", port: link.port });
    procs.push({ stop: () => proxy.close().then(() => 0) } as unknown as ProcHandle);
    const p = await pair("127.0.0.1");
    const proxied = p.link.replace(`:${link.port}/`, `:${proxy.port}/`);
    const stateDir = tempDir("forge-worker-");
    joinWorker(proxied, stateDir, "wire");
    const joined = await waitFor(
      async () => (await workers()).find((x) => x.name === "wire" && x.pendingKey),
      "wire pending",
    );
    await link.api.json("POST", `/workers/${joined.id}/approve`, {});
    const { jobs } = await link.api.createJobs({ action: "compile", targets: { devices: ["attic"] } });
    const built = await settledJob(link.api, jobs[0]!.jobId);
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
