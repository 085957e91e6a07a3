import { chmodSync, copyFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TrustEngine } from "../engine.js";
import { KeyFilePermissionError, keyHint, loadOrCreateKey, readPrivateKeyFile, spkiDer } from "./keys.js";
import { logWitness } from "../log/log-witness.js";
import { ownKeyPath } from "./own-keys.js";
import { signStatement } from "./sign.js";
import { sha256 } from "../encoding.js";
import { approvedBuild, openHarness, type Harness } from "../../../test-support/trust-fixtures.js";

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => h.close());

describe("key files", () => {
  it("writes every private key 0600 in a 0700 folder", () => {
    const dir = h.engine.keysDir;
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // The private keys, and the pin file for their public halves (see pinned-keys.ts).
    expect(readdirSync(dir).sort()).toEqual(["log.key", "pinned-keys.json", "revocation.key", "sidecar.key"]);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    const worker = loadOrCreateKey(join(h.dir, "worker-state", "worker.key"));
    expect(worker.created).toBe(true);
    expect(statSync(join(h.dir, "worker-state", "worker.key")).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKey(join(h.dir, "worker-state", "worker.key"))).toMatchObject({
      created: false,
      key: { hint: worker.key.hint },
    });
  });

  it("refuses a key file others can read", () => {
    const path = ownKeyPath(h.engine.keysDir, "sidecar");
    chmodSync(path, 0o644);
    expect(() => readPrivateKeyFile(path)).toThrow(KeyFilePermissionError);
  });

  it("uses cosign's key hint: base64(sha256(SPKI DER))", () => {
    const k = h.engine.sidecarKey;
    expect(k.hint).toBe(sha256(spkiDer(k.publicKey)).toString("base64"));
    expect(keyHint(k.publicKey)).toBe(k.hint);
  });
});

describe("key rotation", () => {
  it("keeps old approvals verifiable after rotating the sidecar and log keys, and refuses the old key afterwards", async () => {
    const before = await approvedBuild(h);
    const oldSidecar = h.engine.sidecarKey;
    h.clock.advance(60_000);
    h.engine.rotateKey("sidecar");
    h.engine.rotateKey("log");
    h.clock.advance(60_000);
    expect(h.engine.sidecarKey.hint).not.toBe(oldSidecar.hint);
    expect(h.engine.trustedRootJson().tlogs).toHaveLength(2);

    const after = await approvedBuild(h, {}, before.workerKey);
    expect(h.engine.gate("kitchen", before.fw.ota, "enforce").verdict.state).toBe("verified");
    expect(h.engine.gate("kitchen", after.fw.ota, "enforce").verdict).toMatchObject({
      state: "verified",
      buildSequence: 2,
    });
    expect(h.engine.auditLog()).toMatchObject({ ok: true });

    // Someone holding a copy of the retired key signs a new approval: the log dates it after retirement.
    if (!before.result.ok) throw new Error("unreachable");
    const st = JSON.parse(Buffer.from(before.result.approval.bundle.dsseEnvelope!.payload, "base64").toString("utf8"));
    const late = await signStatement(st, oldSidecar, [logWitness(h.engine.log, "approval")]);
    const v = h.engine.evaluate("kitchen", { bytes: before.fw.ota });
    expect(v.verdict.state).toBe("verified");
    const { evaluateTrust } = await import("../policy/evaluator.js");
    const lateVerdict = evaluateTrust(
      { deviceId: "kitchen", firmware: { bytes: before.fw.ota }, approval: late },
      h.engine.context(),
    ).verdict;
    expect(lateVerdict).toMatchObject({
      state: "unknown_signer",
      reason: expect.stringMatching(/rotated out at .* and this signature is dated/),
    });
  });

  it("reloads the rotated keys on restart and refuses a restored retired key file", () => {
    const oldPath = join(h.dir, "old-sidecar.key");
    copyFileSync(ownKeyPath(h.engine.keysDir, "sidecar"), oldPath);
    h.engine.rotateKey("sidecar");
    const current = h.engine.sidecarKey.hint;
    expect(new TrustEngine({ db: h.db, dataDir: h.dir, now: h.clock.now }).sidecarKey.hint).toBe(current);
    copyFileSync(oldPath, ownKeyPath(h.engine.keysDir, "sidecar"));
    chmodSync(ownKeyPath(h.engine.keysDir, "sidecar"), 0o600);
    expect(() => new TrustEngine({ db: h.db, dataDir: h.dir, now: h.clock.now })).toThrow(
      /holds a retired sidecar key; rotate it/,
    );
  });
});
