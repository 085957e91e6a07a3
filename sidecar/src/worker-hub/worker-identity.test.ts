import { describe, expect, it } from "vitest";
import { helloProofText, WORKER_PROTOCOL_VERSION, type HelloMessage } from "@esphome-forge/shared";
import { generateSigningKey, keyHint, publicKeyFromPem, signBytes, type SigningKey } from "../trust/keys/keys.js";
import { WorkerIdentity } from "./worker-identity.js";

const system = { hostname: "h", os: "linux", arch: "x64", cpus: 1, memoryBytes: 1, nodeVersion: "22" };

/** An identity over in-memory bindings: worker id → token, worker id → enrolled key hint. */
function world() {
  const bound = new Map<string, string>();
  const keys = new Map<string, string>();
  const revoked = new Set<string>();
  const identity = new WorkerIdentity({
    tokens: { isUsable: (id) => !revoked.has(id) },
    tokenOf: (id) => bound.get(id),
    enrolledKey: (id) => (keys.has(id) ? { hint: keys.get(id)! } : undefined),
    enrol: (id, pem) => {
      const hint = generateHint(pem);
      if (keys.has(id) && keys.get(id) !== hint) return { ok: false, reason: `another key is enrolled for ${id}` };
      keys.set(id, hint);
      return { ok: true, enrolled: true };
    },
  });
  /** What the hub does after admission: the id is bound to the token it came with. */
  const connect = (id: string, token: string, key: SigningKey, announced = key.publicPem) => {
    const nonce = identity.nonce();
    const proof = signBytes(key, Buffer.from(helloProofText(id, nonce), "utf8")).toString("base64");
    const r = identity.admit(hello(id, announced), token, nonce, proof);
    if (r.ok) bound.set(id, token);
    return r;
  };
  return { identity, bound, keys, revoked, connect };
}

const generateHint = (pem: string) => keyHint(publicKeyFromPem(pem));

function hello(workerId: string, signingKey: string): HelloMessage {
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
  };
}

describe("worker identity", () => {
  it("enrols a new worker's key on first use and admits it again with the same token and key", () => {
    const w = world();
    const key = generateSigningKey();
    expect(w.connect("w1", "t1", key)).toEqual({ ok: true, enrolled: true });
    expect(w.connect("w1", "t1", key).ok).toBe(true);
  });

  it("refuses a hello whose proof was not made with the announced key", () => {
    const w = world();
    const real = generateSigningKey();
    w.connect("w1", "t1", real);
    const r = w.connect("w1", "t1", generateSigningKey(), real.publicPem);
    expect(r).toMatchObject({ ok: false, code: "key_not_proven" });
  });

  it("refuses a nonce signed for another connection or another worker id", () => {
    const w = world();
    const key = generateSigningKey();
    const nonce = w.identity.nonce();
    const proof = signBytes(key, Buffer.from(helloProofText("w1", nonce), "utf8")).toString("base64");
    expect(w.identity.admit(hello("w1", key.publicPem), "t1", w.identity.nonce(), proof).ok).toBe(false);
    expect(w.identity.admit(hello("w2", key.publicPem), "t1", nonce, proof).ok).toBe(false);
    expect(w.identity.admit(hello("w1", key.publicPem), "t1", nonce, proof).ok).toBe(true);
  });

  it("refuses another key for an enrolled worker id, whatever the token", () => {
    const w = world();
    w.connect("w1", "t1", generateSigningKey());
    expect(w.connect("w1", "t1", generateSigningKey())).toMatchObject({ ok: false, code: "signing_key_mismatch" });
    expect(w.connect("w1", "t2", generateSigningKey())).toMatchObject({ ok: false, code: "signing_key_mismatch" });
  });

  it("never lets another token take over a worker id, even with the worker's own key", () => {
    const w = world();
    const key = generateSigningKey();
    w.connect("w1", "t1", key);
    const r = w.connect("w1", "t2", key);
    expect(r).toMatchObject({ ok: false, code: "worker_id_taken" });
    if (!r.ok) expect(r.reason).toMatch(/belongs to another worker token/);
    expect(w.bound.get("w1")).toBe("t1");
  });

  it("moves a worker to a new token once its old token is revoked, only with its enrolled key", () => {
    const w = world();
    const key = generateSigningKey();
    w.connect("w1", "t1", key);
    w.revoked.add("t1");
    expect(w.connect("w1", "t2", generateSigningKey()).ok).toBe(false);
    expect(w.connect("w1", "t2", key).ok).toBe(true);
    expect(w.bound.get("w1")).toBe("t2");
  });
});
