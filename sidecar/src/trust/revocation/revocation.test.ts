import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SerializedBundle } from "@sigstore/bundle";
import { sha256Hex } from "../encoding.js";
import { generateSigningKey } from "../keys/keys.js";
import {
  compareEsphomeVersions,
  findRevocation,
  parseRevocationList,
  REVOCATION_PAYLOAD_TYPE,
  versionInRange,
} from "./revocation.js";
import { signDsse } from "../keys/sign.js";
import { approvedBuild, openHarness, type Harness } from "../../../test-support/trust-fixtures.js";

const DAY = 86_400_000;
let publisher: Harness;
let consumer: Harness;
beforeEach(() => {
  publisher = openHarness();
  consumer = openHarness();
  // The consumer pins the publisher's revocation key.
  consumer.engine.keys.enrol({
    role: "revocation",
    owner: "fleet-admin",
    publicKeyPem: publisher.engine.revocationKey.publicPem,
  });
});
afterEach(() => {
  publisher.close();
  consumer.close();
});

describe("revocation list export / import", () => {
  it("imports a newer list verified with the pinned key, logs it, and refuses lower versions", async () => {
    const v1 = await publisher.engine.publishRevocations(
      [{ kind: "worker", workerId: "w9", reason: "retired machine" }],
      7 * DAY,
    );
    const v2 = await publisher.engine.publishRevocations(
      [...v1.list.entries, { kind: "config", sha256: "a".repeat(64), reason: "leak" }],
      7 * DAY,
    );
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v2.logIndex).not.toBeNull();

    const exported = JSON.stringify(v2.bundle);
    const size = consumer.engine.log.size();
    const imported = consumer.engine.importRevocations(exported);
    expect(imported).toMatchObject({ ok: true, changed: true, stored: { version: 2 } });
    expect(consumer.engine.log.size()).toBe(size + 1); // the digest is logged: no silent split view
    expect(consumer.engine.context().revocations?.entries).toHaveLength(2);

    expect(consumer.engine.importRevocations(exported)).toMatchObject({ ok: true, changed: false });
    const older = consumer.engine.importRevocations(v1.bundle);
    expect(older).toMatchObject({
      ok: false,
      error: expect.stringMatching(/version 1 is older than the current version 2; refusing a rollback/),
    });
    expect(consumer.engine.revocations.current()?.version).toBe(2);
  });

  it("refuses a different list under the current version (split view)", async () => {
    const a = await publisher.engine.publishRevocations([], DAY);
    expect(consumer.engine.importRevocations(a.bundle)).toMatchObject({ ok: true });
    // Same version number, other content, validly signed: a forked history.
    const forkList = { ...a.list, entries: [{ kind: "worker", workerId: "x", reason: "fork" }] };
    const fork = await signDsse(
      Buffer.from(JSON.stringify(forkList)),
      REVOCATION_PAYLOAD_TYPE,
      publisher.engine.revocationKey,
    );
    expect(consumer.engine.importRevocations(fork)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/split view/),
    });
  });

  it("refuses lists signed by any key but the pinned revocation key, and malformed ones", async () => {
    const list = { version: 5, issuedAt: "2026-05-01T00:00:00Z", expiresAt: "2026-06-01T00:00:00Z", entries: [] };
    const rogue = await signDsse(Buffer.from(JSON.stringify(list)), REVOCATION_PAYLOAD_TYPE, generateSigningKey());
    expect(consumer.engine.importRevocations(rogue)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not enrolled/),
    });
    // The sidecar's approval key is enrolled, but not for revocation lists.
    const wrongRole = await signDsse(
      Buffer.from(JSON.stringify(list)),
      REVOCATION_PAYLOAD_TYPE,
      publisher.engine.sidecarKey,
    );
    consumer.engine.keys.enrol({
      role: "sidecar",
      owner: "other-sidecar",
      publicKeyPem: publisher.engine.sidecarKey.publicPem,
    });
    expect(consumer.engine.importRevocations(wrongRole)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/enrolled as a sidecar key/),
    });
    const bad = await signDsse(
      Buffer.from(JSON.stringify({ ...list, expiresAt: list.issuedAt })),
      REVOCATION_PAYLOAD_TYPE,
      publisher.engine.revocationKey,
    );
    expect(consumer.engine.importRevocations(bad)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/expiresAt must be after issuedAt/),
    });
    const wrongType = await signDsse(
      Buffer.from(JSON.stringify(list)),
      "application/json",
      publisher.engine.revocationKey,
    );
    expect(consumer.engine.importRevocations(wrongType)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not a revocation list/),
    });
    for (const garbage of ["", "{", "[]", '{"a":1}'])
      expect(consumer.engine.importRevocations(garbage)).toMatchObject({ ok: false });
    const tampered = JSON.parse(
      JSON.stringify((await publisher.engine.publishRevocations([], DAY)).bundle),
    ) as SerializedBundle;
    tampered.dsseEnvelope!.payload = Buffer.from(JSON.stringify({ ...list, version: 99 })).toString("base64");
    expect(consumer.engine.importRevocations(tampered)).toMatchObject({ ok: false });
    expect(consumer.engine.revocations.current()).toBeNull();
  });

  it("an imported revocation takes effect on the consumer's devices", async () => {
    const b = await approvedBuild(consumer);
    expect(consumer.engine.gate("kitchen", b.fw.ota, "enforce").verdict.state).toBe("verified");
    const list = await publisher.engine.publishRevocations(
      [{ kind: "signer", keyHint: b.workerKey.hint, reason: "seized" }],
      DAY,
    );
    expect(consumer.engine.importRevocations(list.bundle)).toMatchObject({ ok: true });
    expect(consumer.engine.gate("kitchen", b.fw.ota, "enforce").verdict).toMatchObject({
      state: "revoked",
      reason: expect.stringMatching(/seized/),
    });
  });
});

describe("stored revocation list", () => {
  it("fails closed when the list is edited in the database", async () => {
    const b = await approvedBuild(publisher);
    await publisher.engine.revoke([{ kind: "artifact", sha256: b.fw.subjects[0]!.sha256, reason: "recalled" }], DAY);
    expect(publisher.engine.gate("kitchen", b.fw.ota, "enforce").verdict.state).toBe("revoked");
    // Drop the entry by rewriting the stored payload (digest column updated too, signature cannot be).
    const row = publisher.db.prepare("SELECT version, bundle_json FROM trust_revocation_lists").get() as {
      version: number;
      bundle_json: string;
    };
    const bundle = JSON.parse(row.bundle_json) as SerializedBundle;
    const list = JSON.parse(Buffer.from(bundle.dsseEnvelope!.payload, "base64").toString("utf8"));
    const payload = Buffer.from(JSON.stringify({ ...list, entries: [] }));
    bundle.dsseEnvelope!.payload = payload.toString("base64");
    publisher.db
      .prepare("UPDATE trust_revocation_lists SET bundle_json = ?, digest = ?")
      .run(JSON.stringify(bundle), sha256Hex(payload));
    const v = publisher.engine.gate("kitchen", b.fw.ota, "enforce");
    expect(v).toMatchObject({
      allow: false,
      // The anchored copy outside the database catches it first; the signature check would too.
      verdict: { state: "invalid", reason: expect.stringMatching(/tampered with: .*differs from the anchored one/) },
    });
  });
});

describe("revocation matching", () => {
  it("orders ESPHome versions, pre-releases before releases", () => {
    const sorted = ["2025.12.0", "2026.4.0b1", "2026.4.0", "2026.4.10", "2026.10.1", "dev"];
    for (let i = 0; i < sorted.length - 1; i++) expect(compareEsphomeVersions(sorted[i]!, sorted[i + 1]!)).toBe(-1);
    expect(compareEsphomeVersions("2026.4.2", "2026.4.2")).toBe(0);
    expect(versionInRange("2026.4.2", "2026.4.0", "2026.4.3")).toBe(true);
    expect(versionInRange("2026.4.3", "2026.4.0", "2026.4.3")).toBe(false);
    expect(versionInRange("2026.3.9", "2026.4.0")).toBe(false);
  });

  it("rejects malformed lists", () => {
    expect(parseRevocationList("{")).toMatchObject({ ok: false });
    expect(
      parseRevocationList(JSON.stringify({ version: 1, issuedAt: "x", expiresAt: "y", entries: [] })),
    ).toMatchObject({ ok: false });
    const noRange = {
      version: 1,
      issuedAt: "2026-01-01T00:00:00Z",
      expiresAt: "2026-02-01T00:00:00Z",
      entries: [{ kind: "esphome_version", reason: "?" }],
    };
    expect(parseRevocationList(JSON.stringify(noRange))).toMatchObject({ ok: false });
  });

  it("spares signer/worker attestations the log dates before `since`, never unproven ones", () => {
    const list = {
      version: 1,
      issuedAt: "2026-01-01T00:00:00Z",
      expiresAt: "2027-01-01T00:00:00Z",
      entries: [{ kind: "worker" as const, workerId: "w", since: "2026-03-01T00:00:00Z", reason: "r" }],
    };
    const facts = {
      firmwareSha256: "0".repeat(64),
      signerHints: [],
      workerId: "w",
      esphomeVersion: null,
      configSha256: null,
    };
    expect(findRevocation(list, { ...facts, attestedAt: new Date("2026-02-01T00:00:00Z") })).toBeNull();
    expect(findRevocation(list, { ...facts, attestedAt: new Date("2026-03-02T00:00:00Z") })).not.toBeNull();
    expect(findRevocation(list, { ...facts, attestedAt: null })).not.toBeNull();
  });
});
