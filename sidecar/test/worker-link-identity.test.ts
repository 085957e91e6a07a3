// The worker link as an attacker meets it, with real processes and real sockets — a worker's identity: a
// credential works only with its worker's key proven over the same TLS session, a revoked worker loses
// its link and credential at once, and a new worker key waits for the admin. (TLS and pairing:
// worker-link-tls.test.ts.)
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WorkerCloseCode } from "@esphome-forge/shared";
import { runCli, startCli, STANDIN_COMMAND, tempDir, waitFor } from "../src/devtools/processes.js";
import { readCredential } from "../src/build-worker/credential.js";
import { generateSigningKey, readPrivateKeyFile } from "../src/trust/keys/keys.js";
import { FakeWorker } from "../test-support/fake-worker.js";
import { LAN, useWorkerLinkSidecar } from "../test-support/worker-link.js";

const link = useWorkerLinkSidecar(["desk", "attic"]);
const { procs, workers, pair, joinWorker } = link;

describe.skipIf(!LAN)("the worker link: credentials, revocation and worker keys", () => {
  it("a credential without its worker's key is refused; so is a proof made for another TLS session", async () => {
    const p = await pair();
    const stateDir = tempDir("forge-worker-");
    const w = joinWorker(p.link, stateDir, "victim");
    const cred = await waitFor(() => readCredential(stateDir), "the credential");
    await w.stop();
    const trust = { kind: "pin" as const, pins: [link.sc.fingerprint] };
    const url = `https://${LAN}:${link.port}`;
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
    await link.api.json("POST", `/workers/${joined.id}/approve`, { fingerprint: joined.pendingKey!.fingerprint });
    await waitFor(async () => (await workers()).find((x) => x.id === joined.id && x.online), "doomed online");
    const cred = readCredential(stateDir)!;
    await link.api.json("POST", `/workers/${joined.id}/revoke`, { reason: "laptop stolen" });
    const after = await waitFor(
      async () => (await workers()).find((x) => x.id === joined.id && !x.online),
      "the revoked worker disconnected",
      5_000,
    );
    expect(after.enrolment).toBe("revoked");
    await w.stop();
    // Its token under a brand-new id with a brand-new key: refused at the door.
    const back = new FakeWorker({
      url: `https://${LAN}:${link.port}`,
      token: cred.token,
      workerId: "0123456789abcdef0123456789abcdef",
      enrolKey: generateSigningKey(),
      trust: { kind: "pin", pins: [link.sc.fingerprint] },
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
    await link.api.json("POST", `/workers/${joined.id}/approve`, { fingerprint: joined.pendingKey!.fingerprint });
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
    await link.api.json("POST", `/workers/${joined.id}/approve`, { fingerprint: waiting.pendingKey!.fingerprint });
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
});
