import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleFromJSON } from "@sigstore/bundle";
import { sha256Hex } from "../encoding.js";
import { FORGE_APPROVAL_V1, SLSA_PROVENANCE_V1, parseStatement } from "./statements.js";
import { verifyBundle } from "./verify-bundle.js";
import {
  approvedBuild,
  buildFacts,
  CONFIG_A,
  fakeFirmware,
  openHarness,
  workerKey,
  workerSign,
  type Harness,
} from "../../../test-support/trust-fixtures.js";
import { generateSigningKey } from "../keys/keys.js";

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => h.close());

function payloadOf(bundle: { dsseEnvelope?: { payload: string } }) {
  const s = parseStatement(Buffer.from(bundle.dsseEnvelope!.payload, "base64"));
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

describe("build approval (job completion)", () => {
  it("verifies the worker's provenance, logs it and signs an approval that verifies offline on its own", async () => {
    const { fw, result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    expect(result.buildSequence).toBe(1);

    // Worker provenance: SLSA v1, subjects = firmware digests, device/config/version/board/worker/times.
    const build = result.build.bundle;
    expect(build.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    const prov = payloadOf(build);
    expect(prov.predicateType).toBe(SLSA_PROVENANCE_V1);
    expect(prov.subject.map((s) => s.digest.sha256).sort()).toEqual(fw.subjects.map((s) => s.sha256).sort());
    const ext = (prov.predicate as { buildDefinition: { externalParameters: Record<string, unknown> } }).buildDefinition
      .externalParameters;
    expect(ext).toMatchObject({
      device: { id: "kitchen" },
      configSha256: CONFIG_A,
      esphomeVersion: "2026.4.2",
      platform: "esp32",
      board: "esp32dev",
    });
    expect(prov.predicate).toMatchObject({
      runDetails: {
        builder: { id: "urn:esphome-forge:worker:worker-1" },
        metadata: { startedOn: expect.any(String), finishedOn: expect.any(String) },
      },
    });
    // The sidecar added its log entry to the worker's bundle.
    expect(build.verificationMaterial.tlogEntries).toHaveLength(1);

    // Approval: same subjects, device, sequence, policy + revocation-list versions, log index of the build.
    const approval = result.approval.bundle;
    expect(approval.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    const st = payloadOf(approval);
    expect(st.predicateType).toBe(FORGE_APPROVAL_V1);
    expect(st.predicate).toMatchObject({
      device: { id: "kitchen" },
      buildSequence: 1,
      policy: { version: 1 },
      revocationList: null,
      buildAttestation: {
        logIndex: result.build.logIndex,
        payloadSha256: sha256Hex(Buffer.from(build.dsseEnvelope!.payload, "base64")),
      },
      worker: { id: "worker-1" },
    });
    const entry = approval.verificationMaterial.tlogEntries[0]!;
    expect(entry.kindVersion).toEqual({ kind: "dsse", version: "0.0.1" });
    expect(entry.inclusionPromise).toBeDefined();
    expect(entry.inclusionProof?.checkpoint.envelope).toContain("esphome-forge-log - ");

    // @sigstore/verify checks signature, SET, inclusion proof and checkpoint natively against our root.
    const ctx = h.engine.context();
    const v = verifyBundle(JSON.stringify(approval), {
      trustedRoot: ctx.trustedRoot,
      keys: ctx.keys,
      roles: ["sidecar"],
      requireLog: true,
      now: ctx.now,
    });
    expect(v.ok).toBe(true);
    // Without our log key in the trusted root, the same bundle is not accepted.
    const bare = verifyBundle(approval, {
      trustedRoot: { ...ctx.trustedRoot, root: { ...ctx.trustedRoot.root, tlogs: [] } },
      keys: ctx.keys,
      roles: ["sidecar"],
      requireLog: true,
      now: ctx.now,
    });
    expect(bare).toMatchObject({ ok: false, state: "unknown_signer" });

    // And the gate, on the exact bytes, says verified.
    const gate = h.engine.gate("kitchen", fw.ota, "enforce");
    expect(gate.allow).toBe(true);
    expect(gate.verdict).toMatchObject({ state: "verified", buildSequence: 1, firmwareSha256: sha256Hex(fw.ota) });
    expect(gate.evaluation.build?.workerId).toBe("worker-1");
  });

  it("allocates a strictly increasing build sequence per device", async () => {
    const a = await approvedBuild(h);
    const b = await approvedBuild(h, {}, a.workerKey);
    const c = await approvedBuild(h, { deviceId: "garage" }, a.workerKey);
    expect([a.result, b.result, c.result].map((r) => (r.ok ? r.buildSequence : -1))).toEqual([1, 2, 1]);
  });

  it("refuses firmware bytes altered after the worker signed", async () => {
    const fw = fakeFirmware();
    const key = workerKey(h, "worker-1");
    const bundle = await workerSign(key, buildFacts({ firmware: fw.subjects }));
    const tampered = Buffer.from(fw.ota);
    tampered[100] = tampered[100]! ^ 0xff;
    const received = [{ ...fw.subjects[0]!, sha256: sha256Hex(tampered) }, fw.subjects[1]!];
    const r = await h.engine.approveBuild({
      deviceId: "kitchen",
      firmware: received,
      buildBundle: bundle,
      expectedConfigSha256: CONFIG_A,
      expectedWorkerId: "worker-1",
    });
    expect(r).toMatchObject({ ok: false, state: "invalid" });
    expect(!r.ok && r.reason).toMatch(/altered after signing/);
    expect(h.engine.attestations.forFirmware(fw.subjects[1]!.sha256)).toHaveLength(0);
  });

  it("refuses an unenrolled worker key as unknown_signer", async () => {
    const fw = fakeFirmware();
    const rogue = generateSigningKey();
    const bundle = await workerSign(rogue, buildFacts({ firmware: fw.subjects }));
    const r = await h.engine.approveBuild({
      deviceId: "kitchen",
      firmware: fw.subjects,
      buildBundle: bundle,
      expectedConfigSha256: CONFIG_A,
      expectedWorkerId: "worker-1",
    });
    expect(r).toMatchObject({ ok: false, state: "unknown_signer" });
    expect(!r.ok && r.reason).toMatch(/not enrolled/);
  });

  it("refuses a build for another device, another config, or signed by a different worker than ran the job", async () => {
    const fw = fakeFirmware();
    const key = workerKey(h, "worker-1");
    workerKey(h, "worker-2");
    const bundle = await workerSign(key, buildFacts({ firmware: fw.subjects }));
    const base = {
      firmware: fw.subjects,
      buildBundle: bundle,
      expectedConfigSha256: CONFIG_A,
      expectedWorkerId: "worker-1",
    };
    const wrongDevice = await h.engine.approveBuild({ ...base, deviceId: "garage" });
    expect(wrongDevice).toMatchObject({ ok: false, state: "invalid" });
    expect(!wrongDevice.ok && wrongDevice.reason).toMatch(/"kitchen".*"garage"/);
    const wrongConfig = await h.engine.approveBuild({
      ...base,
      deviceId: "kitchen",
      expectedConfigSha256: sha256Hex("other"),
    });
    expect(!wrongConfig.ok && wrongConfig.reason).toMatch(/built config/);
    const wrongWorker = await h.engine.approveBuild({ ...base, deviceId: "kitchen", expectedWorkerId: "worker-2" });
    expect(!wrongWorker.ok && wrongWorker.reason).toMatch(/worker "worker-1".*worker "worker-2"/);
    // A worker's key cannot vouch for another worker's identity.
    const lying = await workerSign(key, buildFacts({ firmware: fw.subjects, workerId: "worker-2" }));
    const r = await h.engine.approveBuild({
      ...base,
      deviceId: "kitchen",
      buildBundle: lying,
      expectedWorkerId: "worker-1",
    });
    expect(!r.ok && r.reason).toMatch(/claims worker "worker-2"/);
  });

  it("refuses garbage and truncated worker bundles without throwing", async () => {
    const fw = fakeFirmware();
    const good = JSON.stringify(await workerSign(workerKey(h, "worker-1"), buildFacts({ firmware: fw.subjects })));
    for (const buildBundle of [
      "",
      "{",
      good.slice(0, good.length / 2),
      "[]",
      "null",
      '{"mediaType":"x"}',
      Buffer.from([0xff, 0xfe]),
    ]) {
      const r = await h.engine.approveBuild({
        deviceId: "kitchen",
        firmware: fw.subjects,
        buildBundle,
        expectedConfigSha256: CONFIG_A,
        expectedWorkerId: "worker-1",
      });
      expect(r).toMatchObject({ ok: false, state: "invalid" });
    }
    expect(bundleFromJSON(JSON.parse(good))).toBeDefined();
  });
});
