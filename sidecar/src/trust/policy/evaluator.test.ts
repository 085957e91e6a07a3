import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SerializedBundle } from "@sigstore/bundle";
import { sha256Hex } from "../encoding.js";
import { evaluateTrust } from "./evaluator.js";
import { generateSigningKey } from "../keys/keys.js";
import { logWitness, witnessBundle } from "../log/log-witness.js";
import { signBlob, signStatement } from "../keys/sign.js";
import { approvedBuild, openHarness, type Harness } from "../../../test-support/trust-fixtures.js";

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => h.close());

const DAY = 86_400_000;

function evaluate(deviceId: string, bytes: Buffer, approval: unknown, build?: unknown, minBuildSequence?: number) {
  return evaluateTrust({ deviceId, firmware: { bytes }, approval, build, minBuildSequence }, h.engine.context())
    .verdict;
}

describe("trust evaluation at the upload gate", () => {
  it("verifies the approved bytes with and without the worker provenance", async () => {
    const { fw, result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    expect(evaluate("kitchen", fw.ota, result.approval.bundle, result.build.bundle).state).toBe("verified");
    expect(evaluate("kitchen", fw.factory, result.approval.bundle).state).toBe("verified");
  });

  it("marks bytes altered after signing as invalid and blocks them in enforce mode", async () => {
    const { fw, result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    const tampered = Buffer.from(fw.ota);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    const v = evaluate("kitchen", tampered, result.approval.bundle, result.build.bundle);
    expect(v.state).toBe("invalid");
    expect(v.reason).toMatch(/altered after signing/);
    // The gate, told which archived firmware it meant to send, reads the change as tampering.
    const gate = h.engine.gate("kitchen", tampered, "enforce", sha256Hex(fw.ota));
    expect(gate).toMatchObject({ allow: false, verdict: { state: "invalid" } });
    expect(gate.error).toMatch(/content trust blocked the upload/);
    // warn flashes and records; off flashes silently.
    expect(h.engine.gate("kitchen", tampered, "warn", sha256Hex(fw.ota))).toMatchObject({
      allow: true,
      warning: expect.stringMatching(/warn mode/),
    });
    expect(h.engine.gate("kitchen", tampered, "off", sha256Hex(fw.ota))).toMatchObject({ allow: true, warning: null });
  });

  it("rejects a bundle for device A presented for device B", async () => {
    const { fw, result } = await approvedBuild(h, { deviceId: "garage" });
    if (!result.ok) throw new Error("unreachable");
    const v = evaluate("kitchen", fw.ota, result.approval.bundle);
    expect(v).toMatchObject({ state: "invalid", reason: 'approval is for device "garage", not "kitchen"' });
    expect(h.engine.gate("kitchen", fw.ota, "enforce")).toMatchObject({
      allow: false,
      verdict: { state: "invalid", reason: expect.stringMatching(/for device "garage"/) },
    });
  });

  it("reports unsigned and unknown firmware", () => {
    expect(h.engine.evaluate("kitchen", { sha256: sha256Hex("never built") }).verdict.state).toBe("unsigned");
    expect(h.engine.evaluate("kitchen", { sha256: null }).verdict.state).toBe("unknown");
  });

  it("treats an approval signed by an unenrolled key as unknown_signer", async () => {
    const { fw, result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    const rogue = generateSigningKey();
    const st = JSON.parse(Buffer.from(result.approval.bundle.dsseEnvelope!.payload, "base64").toString("utf8"));
    const forged = await signStatement(st, rogue, [logWitness(h.engine.log, "approval")]);
    const v = evaluate("kitchen", fw.ota, forged);
    expect(v.state).toBe("unknown_signer");
    expect(v.reason).toMatch(/not enrolled/);
    // A worker key is enrolled, but not as an approver.
    const asWorker = await signStatement(st, (await approvedBuild(h)).workerKey, [
      logWitness(h.engine.log, "approval"),
    ]);
    expect(evaluate("kitchen", fw.ota, asWorker)).toMatchObject({
      state: "unknown_signer",
      reason: expect.stringMatching(/enrolled as a worker key/),
    });
  });

  it("refuses an older build sequence once a newer one was flashed (anti-rollback)", async () => {
    const first = await approvedBuild(h);
    const second = await approvedBuild(h, {}, first.workerKey);
    const ok = h.engine.gate("kitchen", second.fw.ota, "enforce");
    expect(ok.verdict).toMatchObject({ state: "verified", buildSequence: 2 });
    h.engine.recordOta("kitchen", sha256Hex(second.fw.ota), ok.verdict, 8);
    const replay = h.engine.gate("kitchen", first.fw.ota, "enforce");
    expect(replay).toMatchObject({ allow: false, verdict: { state: "invalid", buildSequence: 1 } });
    expect(replay.verdict.reason).toMatch(/rollback refused: build #1 is older than build #2/);
    // Re-flashing the current build is not a rollback.
    expect(h.engine.gate("kitchen", second.fw.ota, "enforce").allow).toBe(true);
  });

  it("never throws on truncated or garbage approval bundles", async () => {
    const { fw, result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    const good = JSON.stringify(result.approval.bundle);
    const flipped = JSON.parse(good) as SerializedBundle;
    const payload = Buffer.from(flipped.dsseEnvelope!.payload, "base64")
      .toString("utf8")
      .replace('"buildSequence":1', '"buildSequence":9');
    flipped.dsseEnvelope!.payload = Buffer.from(payload).toString("base64");
    const noLog = JSON.parse(good) as SerializedBundle;
    noLog.verificationMaterial.tlogEntries = [];
    // A genuine log entry for the same signature, but naming another key (cosign would refuse it too).
    const relogged = witnessBundle(
      h.engine.log,
      "approval",
      { ...noLog, verificationMaterial: { ...noLog.verificationMaterial, tlogEntries: [] } },
      generateSigningKey().publicPem,
    ).bundle;
    const cases: [unknown, RegExp][] = [
      [relogged, /records a different signing key/],
      [good.slice(0, 200), /not valid JSON/],
      ["garbage", /not valid JSON/],
      ["[1,2]", /not a JSON object/],
      [{}, /not a valid Sigstore bundle/],
      [{ ...JSON.parse(good), mediaType: "application/json" }, /not a valid Sigstore bundle/],
      [flipped, /altered after signing|signature/],
      [noLog, /no log entry/],
    ];
    for (const [input, reason] of cases) {
      const v = evaluate("kitchen", fw.ota, input);
      expect(v.state, String(reason)).toBe("invalid");
      expect(v.reason).toMatch(reason);
    }
  });
});

describe("firmware signed outside Forge", () => {
  it("passes the gate under an explicit key-based signer policy, limited to the named devices", async () => {
    const ci = generateSigningKey();
    const ext = openHarness({ externalSigners: [{ name: "CI release", keyHint: ci.hint, devices: ["kitchen"] }] });
    try {
      const fw = Buffer.from("CI-built firmware");
      ext.engine.addExternalAttestation(signBlob(fw, ci), { name: "fw.bin", sha256: sha256Hex(fw) });
      // Not enrolled yet: the policy names a key the registry does not trust.
      expect(ext.engine.gate("kitchen", fw, "enforce").verdict.state).toBe("unknown_signer");
      ext.engine.keys.enrol({ role: "external", owner: "ci", publicKeyPem: ci.publicPem });
      expect(ext.engine.gate("kitchen", fw, "enforce")).toMatchObject({
        allow: true,
        verdict: { state: "verified", signer: expect.stringMatching(/^CI release: external key/) },
      });
      expect(ext.engine.gate("garage", fw, "enforce").verdict).toMatchObject({
        state: "unknown_signer",
        reason: expect.stringMatching(/no external signer policy covers garage/),
      });
      await ext.engine.revoke([{ kind: "signer", keyHint: ci.hint, reason: "CI key rotated" }], DAY);
      expect(ext.engine.gate("kitchen", fw, "enforce").verdict.state).toBe("revoked");
      expect(() => ext.engine.addExternalAttestation("{", { name: "x", sha256: sha256Hex(fw) })).toThrow(
        /not valid JSON/,
      );
    } finally {
      ext.close();
    }
  });
});

describe("revocation at the gate", () => {
  async function revokedBy(
    entries: (b: Awaited<ReturnType<typeof approvedBuild>>) => Parameters<Harness["engine"]["publishRevocations"]>[0],
  ) {
    await h.engine.publishRevocations([], DAY); // each case starts from an empty list
    const b = await approvedBuild(h);
    await h.engine.publishRevocations(entries(b), DAY);
    return { b, verdict: h.engine.gate(b.facts.deviceId, b.fw.ota, "enforce").verdict };
  }

  it("revokes by worker, signer key, artifact, ESPHome version range and config digest", async () => {
    const cases: [
      (b: Awaited<ReturnType<typeof approvedBuild>>) => Parameters<Harness["engine"]["publishRevocations"]>[0],
      RegExp,
    ][] = [
      [
        () => [{ kind: "worker", workerId: "worker-1", reason: "stolen laptop" }],
        /worker worker-1 is revoked: stolen laptop/,
      ],
      [
        (b) => [{ kind: "signer", keyHint: b.workerKey.hint, reason: "key leaked" }],
        /signing key .* is revoked: key leaked/,
      ],
      [
        () => [{ kind: "signer", keyHint: h.engine.sidecarKey.hint, reason: "sidecar key leaked" }],
        /sidecar key leaked/,
      ],
      [(b) => [{ kind: "artifact", sha256: sha256Hex(b.fw.ota), reason: "bricks devices" }], /bricks devices/],
      [
        () => [{ kind: "esphome_version", introduced: "2026.4.0", fixed: "2026.4.3", reason: "CVE-2026-1234" }],
        /ESPHome 2026.4.2 is in the revoked range/,
      ],
      [
        (b) => [{ kind: "config", sha256: b.facts.configSha256, reason: "leaked wifi password" }],
        /config .* is revoked: leaked wifi password/,
      ],
    ];
    for (const [entries, reason] of cases) {
      const { verdict } = await revokedBy(entries);
      expect(verdict.state, String(reason)).toBe("revoked");
      expect(verdict.reason).toMatch(reason);
    }
  });

  it("leaves builds outside a version range and before a key's compromise time alone", async () => {
    const b = await approvedBuild(h);
    h.clock.advance(60_000);
    await h.engine.publishRevocations(
      [
        { kind: "esphome_version", introduced: "2026.5.0", reason: "later bug" },
        { kind: "esphome_version", fixed: "2026.4.2", reason: "older bug" },
        {
          kind: "signer",
          keyHint: b.workerKey.hint,
          since: h.clock.now().toISOString(),
          reason: "leaked after this build",
        },
      ],
      DAY,
    );
    expect(h.engine.gate("kitchen", b.fw.ota, "enforce").verdict.state).toBe("verified");
    // A build the log dates after the compromise time is refused at approval.
    h.clock.advance(1000);
    await expect(approvedBuild(h, {}, b.workerKey)).rejects.toThrow(/revoked: signing key .* leaked after this build/);
  });

  it("marks verdicts stale once the revocation list expires, and blocks them under enforce", async () => {
    const b = await approvedBuild(h);
    await h.engine.publishRevocations([], DAY);
    expect(h.engine.gate("kitchen", b.fw.ota, "enforce").verdict.state).toBe("verified");
    h.clock.advance(DAY + 1);
    const gate = h.engine.gate("kitchen", b.fw.ota, "enforce");
    expect(gate).toMatchObject({ allow: false, verdict: { state: "stale" } });
    expect(gate.verdict.reason).toMatch(/revocation list v1 expired at .*; otherwise approved as build #1/);
    // Revocations are never weakened by staleness.
    await h.engine.publishRevocations([{ kind: "artifact", sha256: sha256Hex(b.fw.ota), reason: "bad" }], 1);
    h.clock.advance(10);
    expect(h.engine.gate("kitchen", b.fw.ota, "enforce").verdict.state).toBe("revoked");
  });

  it("announces changes so every device can be re-evaluated, and `revoke` adds to the current list", async () => {
    const b = await approvedBuild(h);
    const seen: string[] = [];
    const off = h.engine.onTrustChange((c) =>
      seen.push(c.type === "revocations" ? `list v${c.version}` : c.type === "keys" ? c.event : c.type),
    );
    await h.engine.revoke([{ kind: "worker", workerId: "nobody", reason: "test" }], DAY);
    await h.engine.revoke([{ kind: "artifact", sha256: sha256Hex(b.fw.factory), reason: "factory image pulled" }], DAY);
    expect(h.engine.revocations.current()?.list.entries.map((e) => e.kind)).toEqual(["worker", "artifact"]);
    h.engine.keys.revoke(b.workerKey.hint, "lost");
    off();
    await h.engine.revoke([], DAY);
    expect(seen).toEqual(["list v1", "list v2", "key_revoked"]);
    // The running firmware (known only by digest) is re-evaluated from the stored bundles.
    expect(h.engine.evaluate("kitchen", { sha256: sha256Hex(b.fw.factory) }).verdict).toMatchObject({
      state: "revoked",
      reason: expect.stringMatching(/factory image pulled/),
    });
  });

  it("a registry-revoked worker key refuses signatures from its revocation time on", async () => {
    const b = await approvedBuild(h);
    h.clock.advance(5000);
    h.engine.keys.revoke(b.workerKey.hint, "compromised");
    await expect(approvedBuild(h, {}, b.workerKey)).rejects.toThrow(/revoked: .*compromised/);
  });
});
