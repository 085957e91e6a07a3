// Who may speak as a worker id. An id is bound to the worker token that first used it and to the
// signing key enrolled for it; every connection proves the key by signing a fresh nonce (hello →
// `challenge` → `proof`). A hello that cannot prove the enrolled key, or comes with another token, is
// refused with the reason — it never replaces the real worker's connection. First use of an id enrols
// its key (trust on first use); an admin decision on new workers (pending, approve) plugs in at `admit`.
import { randomBytes, verify } from "node:crypto";
import { helloProofText, type HelloMessage } from "@esphome-forge/shared";
import { keyHint, publicKeyFromPem } from "../trust/keys/keys.js";
import type { WorkerTokens } from "./worker-tokens.js";

export type Admission = { ok: true; enrolled: boolean } | { ok: false; code: string; reason: string };

export interface WorkerIdentityOptions {
  tokens: Pick<WorkerTokens, "isUsable">;
  /** The token the worker id is bound to (undefined: a worker never seen). */
  tokenOf: (workerId: string) => string | null | undefined;
  /** The key enrolled and active for the worker id, if any. */
  enrolledKey: (workerId: string) => { hint: string } | undefined;
  /** Enrols the key for the id (first use); refuses a second key while one is active. */
  enrol: (workerId: string, pem: string) => { ok: true; enrolled: boolean } | { ok: false; reason: string };
}

export class WorkerIdentity {
  constructor(private readonly o: WorkerIdentityOptions) {}

  /** A fresh nonce for one connection's `challenge`. */
  nonce(): string {
    return randomBytes(32).toString("base64url");
  }

  admit(hello: HelloMessage, tokenId: string, nonce: string, signature: string): Admission {
    const id = hello.workerId;
    let hint: string;
    try {
      const key = publicKeyFromPem(hello.signingKey);
      hint = keyHint(key);
      const proven = verify(
        "sha256",
        Buffer.from(helloProofText(id, nonce), "utf8"),
        key,
        Buffer.from(signature, "base64"),
      );
      if (!proven)
        return refuse("key_not_proven", `worker ${id} could not prove it holds the signing key it announced`);
    } catch (err) {
      return refuse("invalid_signing_key", `worker ${id}: invalid signing key or proof: ${(err as Error).message}`);
    }
    const enrolled = this.o.enrolledKey(id);
    // Another key than the enrolled one: the enrolment refuses it and says how to retire the old key.
    if (enrolled && enrolled.hint !== hint) return this.enrol(id, hello.signingKey);
    const bound = this.o.tokenOf(id);
    if (bound && bound !== tokenId) {
      // Only the same worker (its enrolled key, proven above) may move to a new token, and only once the
      // token it belonged to was revoked: a token never takes over another token's live worker.
      if (this.o.tokens.isUsable(bound) || !enrolled) {
        return refuse(
          "worker_id_taken",
          `worker ${id} belongs to another worker token; a token cannot take over another token's worker (give this worker its own state folder, or revoke the old token first)`,
        );
      }
    }
    // Known and proven, or a worker id never seen before: its key is enrolled on first use.
    return this.enrol(id, hello.signingKey);
  }

  private enrol(id: string, pem: string): Admission {
    const r = this.o.enrol(id, pem);
    return r.ok ? r : refuse("signing_key_mismatch", r.reason);
  }
}

function refuse(code: string, reason: string): Admission {
  return { ok: false, code, reason };
}
