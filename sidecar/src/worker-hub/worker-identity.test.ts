import { afterEach, describe, expect, it } from "vitest";
import { helloProofText, WORKER_PROTOCOL_VERSION, type HelloMessage } from "@esphome-forge/shared";
import { openHarness, type Harness } from "../../test-support/trust-fixtures.js";
import { generateSigningKey, keyFingerprint, signBytes, type SigningKey } from "../trust/keys/keys.js";
import { WorkerEnrolments } from "./worker-enrolment.js";
import { WorkerIdentity, type Admission } from "./worker-identity.js";
import { WorkerTokens } from "./worker-tokens.js";

const system = { hostname: "h", os: "linux", arch: "x64", cpus: 1, memoryBytes: 1, nodeVersion: "22" };

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

/** An identity over a real database: tokens, enrolment decisions, the trust engine's key registry. */
function world(opts: { implicit?: "auto" | "local" | null } = {}) {
  h = openHarness();
  const clock = { now: () => h!.clock.now().getTime() };
  const tokens = new WorkerTokens(h.db, clock);
  const enrolments = new WorkerEnrolments(h.db, h.engine, clock);
  const bound = new Map<string, string>();
  const identity = new WorkerIdentity({
    tokens,
    tokenOf: (id) => bound.get(id),
    enrolments,
    implicitApproval: () => opts.implicit ?? null,
  });
  const token = (name = "t", binding?: { workerId: string; keyHint: string }) => tokens.create(name, binding).token.id;
  /** What the hub does: challenge on a channel, admit, and bind the id to its first token. */
  const connect = (
    id: string,
    tokenId: string,
    key: SigningKey,
    o: { channel?: string; signedChannel?: string; next?: SigningKey } = {},
  ): Admission => {
    const nonce = identity.nonce();
    const channel = o.channel ?? "none";
    const text = Buffer.from(helloProofText(id, nonce, o.signedChannel ?? channel), "utf8");
    const proof = {
      signature: signBytes(key, text).toString("base64"),
      ...(o.next ? { nextSignature: signBytes(o.next, text).toString("base64") } : {}),
    };
    const r = identity.admit(hello(id, key.publicPem, o.next?.publicPem), tokenId, { nonce, channel }, proof);
    if (r.ok && !bound.has(id)) bound.set(id, tokenId);
    // …and the registry keeps a row for it (attach or remember).
    if (r.ok) h!.db.prepare("INSERT OR IGNORE INTO workers (id, name, token_id) VALUES (?, ?, ?)").run(id, id, tokenId);
    return r;
  };
  return { identity, tokens, enrolments, connect, token };
}

function hello(workerId: string, signingKey: string, nextKey?: string): HelloMessage {
  return {
    type: "hello",
    protocolVersion: WORKER_PROTOCOL_VERSION,
    workerId,
    name: workerId,
    version: "1",
    slots: 1,
    tags: [],
    platform: "linux-x64",
    system,
    esphomeVersions: [],
    warmDevices: [],
    runningJobs: [],
    signingKey,
    ...(nextKey ? { nextKey } : {}),
  };
}

const fp = (k: SigningKey) => keyFingerprint(k.publicKey);

describe("worker identity and enrolment", () => {
  it("a new worker waits as pending until an admin approves the fingerprint they compared", () => {
    const w = world();
    const key = generateSigningKey();
    const t = w.token();
    expect(w.connect("w1", t, key)).toEqual({ ok: true, status: "pending", fingerprint: fp(key), kind: "enrol" });
    expect(w.connect("w1", t, key)).toMatchObject({ status: "pending" }); // still waiting, one request
    expect(() => w.enrolments.approve("w1", "admin", "0".repeat(64))).toThrow(/compare again/);
    w.enrolments.approve("w1", "admin", fp(key));
    expect(w.connect("w1", t, key)).toEqual({ ok: true, status: "approved", keyHint: key.hint });
    expect(h!.engine.keys.active("worker", "w1").map((k) => k.hint)).toEqual([key.hint]);
  });

  it("approves implicitly with autoApproveWorkers or for the built-in worker", () => {
    const w = world({ implicit: "auto" });
    const key = generateSigningKey();
    expect(w.connect("w1", w.token(), key)).toMatchObject({ ok: true, status: "approved" });
    expect(w.enrolments.view("w1")).toMatchObject({ enrolment: "approved", keyFingerprint: fp(key) });
  });

  it("refuses a proof signed for another TLS channel (a relayed handshake) or without the announced key", () => {
    const w = world({ implicit: "auto" });
    const key = generateSigningKey();
    const t = w.token();
    expect(w.connect("w1", t, key, { channel: "chan-A" }).ok).toBe(true);
    expect(w.connect("w1", t, key, { channel: "chan-B", signedChannel: "chan-A" })).toMatchObject({
      ok: false,
      code: "key_not_proven",
    });
    const other = generateSigningKey();
    const nonce = w.identity.nonce();
    const proof = signBytes(other, Buffer.from(helloProofText("w1", nonce, "none"), "utf8")).toString("base64");
    expect(
      w.identity.admit(hello("w1", key.publicPem), t, { nonce, channel: "none" }, { signature: proof }),
    ).toMatchObject({ ok: false, code: "key_not_proven" });
  });

  it("a join credential works only for its worker id and with its key", () => {
    const w = world({ implicit: "auto" });
    const key = generateSigningKey();
    const t = w.token("joined", { workerId: "w1", keyHint: key.hint });
    expect(w.connect("w2", t, generateSigningKey())).toMatchObject({ ok: false, code: "credential_bound" });
    expect(w.connect("w1", t, generateSigningKey())).toMatchObject({ ok: false, code: "credential_bound" });
    expect(w.connect("w1", t, key)).toMatchObject({ ok: true, status: "approved" });
  });

  it("a new key under a known worker waits for the admin; approving it retires the old key", () => {
    const w = world();
    const old = generateSigningKey();
    const t = w.token();
    w.connect("w1", t, old);
    w.enrolments.approve("w1", "admin");
    const fresh = generateSigningKey();
    expect(w.connect("w1", t, fresh)).toMatchObject({ status: "pending", kind: "rotate" });
    expect(w.connect("w1", t, old)).toMatchObject({ status: "approved" }); // the real one is undisturbed
    w.enrolments.approve("w1", "admin", fp(fresh));
    expect(w.connect("w1", t, old)).toMatchObject({ ok: false, code: "key_retired" });
    expect(w.connect("w1", t, fresh)).toMatchObject({ ok: true, status: "approved" });
    expect(h!.engine.keys.get(old.hint)?.retiredAt).not.toBeNull();
  });

  it("rotation: a proven next key waits beside the current one, and after approval the worker signs with it", () => {
    const w = world();
    const key = generateSigningKey();
    const next = generateSigningKey();
    const t = w.token("joined", { workerId: "w1", keyHint: key.hint });
    w.connect("w1", t, key);
    w.enrolments.approve("w1", "admin");
    expect(w.connect("w1", t, key, { next })).toEqual({
      ok: true,
      status: "approved",
      keyHint: key.hint,
      nextKey: "pending",
    });
    expect(w.enrolments.view("w1").pendingKey).toMatchObject({ fingerprint: fp(next), kind: "rotate" });
    w.enrolments.approve("w1", "admin", fp(next));
    // The credential follows the key, so the worker comes back with either key proven and the next one wins.
    expect(w.connect("w1", t, key, { next })).toEqual({ ok: true, status: "approved", keyHint: next.hint });
    expect(w.connect("w1", t, next)).toMatchObject({ ok: true, status: "approved" });
  });

  it("a rejected key and a revoked worker never come back, under any id", () => {
    const w = world();
    const t = w.token();
    const rejected = generateSigningKey();
    w.connect("w1", t, rejected);
    w.enrolments.reject("w1");
    expect(w.connect("w1", t, rejected)).toMatchObject({ ok: false, code: "key_rejected" });
    expect(w.enrolments.view("w1").enrolment).toBe("rejected");

    const key = generateSigningKey();
    const t2 = w.token();
    w.connect("w2", t2, key);
    w.enrolments.approve("w2", "admin");
    const tokens = w.enrolments.revoke("w2", "stolen laptop");
    expect(tokens).toContain(t2);
    expect(w.tokens.isUsable(t2)).toBe(false);
    expect(w.connect("w2", w.token(), generateSigningKey())).toMatchObject({ ok: false, code: "worker_revoked" });
    expect(w.connect("w3", w.token(), key)).toMatchObject({ ok: false, code: "key_revoked" });
    expect(h!.engine.keys.get(key.hint)?.revokedAt).not.toBeNull();
  });

  it("never lets another token take over a worker id, even with the worker's own key", () => {
    const w = world({ implicit: "auto" });
    const key = generateSigningKey();
    const t1 = w.token();
    w.connect("w1", t1, key);
    expect(w.connect("w1", w.token(), key)).toMatchObject({ ok: false, code: "worker_id_taken" });
    w.tokens.revoke(t1);
    expect(w.connect("w1", w.token(), generateSigningKey()).ok).toBe(false);
    expect(w.connect("w1", w.token(), key).ok).toBe(true);
  });

  it("one credential cannot flood the admin with pending workers", () => {
    const w = world();
    const t = w.token();
    for (let i = 0; i < 8; i++) expect(w.connect(`w${i}`, t, generateSigningKey()).ok).toBe(true);
    expect(() => w.connect("w9", t, generateSigningKey())).toThrow(/already has 8 workers waiting/);
  });
});
