// Who may speak as a worker id. Every connection proves the worker's key by signing a fresh nonce
// bound to the TLS session it arrived on (hello → `challenge` → `proof`), so neither a stolen token
// nor a relayed handshake is enough. Then the admission rules, in order:
// - a join credential belongs to one worker id and its key; a plain token binds a worker id at first
//   use, and only that worker's own key may move it to a new token once the old one was revoked;
// - a revoked worker never comes back, and a revoked, rejected or retired key is refused under any id;
// - a key the admin approved for this id is admitted; a new worker, or a new key under a known one,
//   waits as `pending` (WorkerEnrolments) unless approved implicitly (the built-in worker, autoApprove);
// - a next key announced for rotation is proven too and waits for the admin beside the current one.
// Refusals say why, and never touch the real worker's connection.
import { randomBytes, verify } from "node:crypto";
import { helloProofText, type HelloMessage } from "@esphome-forge/shared";
import { keyHint, publicKeyFromPem } from "../trust/keys/keys.js";
import type { DecidedBy, WorkerEnrolments, WorkerKey } from "./worker-enrolment.js";
import type { WorkerTokens } from "./worker-tokens.js";

export type Admission =
  | { ok: true; status: "approved"; keyHint: string; nextKey?: "pending" | "rejected" }
  | { ok: true; status: "pending"; fingerprint: string; kind: "enrol" | "rotate" }
  | { ok: false; code: string; reason: string };

export interface WorkerIdentityOptions {
  tokens: Pick<WorkerTokens, "isUsable" | "binding">;
  /** The token a worker id was first seen with (plain tokens; undefined: a worker never seen). */
  tokenOf: (workerId: string) => string | null | undefined;
  enrolments: WorkerEnrolments;
  /** Approval without a person for this credential: the built-in worker's token, or autoApproveWorkers. */
  implicitApproval: (tokenId: string) => DecidedBy | null;
}

export interface Challenge {
  nonce: string;
  /** The TLS session's exported keying material (base64url), or `none` on a plain connection. */
  channel: string;
}

export class WorkerIdentity {
  constructor(private readonly o: WorkerIdentityOptions) {}

  /** A fresh nonce for one connection's `challenge`. */
  nonce(): string {
    return randomBytes(32).toString("base64url");
  }

  admit(
    hello: HelloMessage,
    tokenId: string,
    challenge: Challenge,
    proof: { signature: string; nextSignature?: string | undefined },
  ): Admission {
    const id = hello.workerId;
    const text = Buffer.from(helloProofText(id, challenge.nonce, challenge.channel), "utf8");
    const current = proven(hello.signingKey, text, proof.signature);
    if (!current.ok) return refuse(current.code, `worker ${id}: ${current.reason}`);
    let next: { hint: string } | null = null;
    if (hello.nextKey !== undefined) {
      const p = proven(hello.nextKey, text, proof.nextSignature ?? "");
      if (!p.ok) return refuse(p.code, `worker ${id}, its next key: ${p.reason}`);
      next = p;
    }
    const { enrolments } = this.o;

    const binding = this.o.tokens.binding(tokenId);
    if (binding.workerId && binding.workerId !== id)
      return refuse("credential_bound", `this credential belongs to worker ${binding.workerId}, not ${id}`);
    if (binding.keyHint && binding.keyHint !== current.hint && binding.keyHint !== next?.hint)
      return refuse(
        "credential_bound",
        `worker ${id}: this credential is bound to another key; a credential alone (without its worker's key) is refused`,
      );
    if (enrolments.isRevoked(id)) return refuse("worker_revoked", `worker ${id} was revoked`);

    const bound = this.o.tokenOf(id);
    if (bound && bound !== tokenId && !binding.workerId) {
      // Only the same worker (its approved key, proven above) may move to a new token, and only once the
      // token it belonged to was revoked: a token never takes over another token's live worker.
      const approved = enrolments.approvedKey(id);
      if (this.o.tokens.isUsable(bound) || !approved || approved.hint !== current.hint)
        return refuse(
          "worker_id_taken",
          `worker ${id} belongs to another worker token; a token cannot take over another token's worker (give this worker its own state folder, or revoke the old token first)`,
        );
    }

    // A rotation the admin approved: the next key is the worker's key now.
    const nextKey = next ? enrolments.key(next.hint) : undefined;
    if (next && nextKey?.workerId === id && nextKey.state === "approved")
      return { ok: true, status: "approved", keyHint: next.hint };

    const known = enrolments.key(current.hint);
    const refusal = this.keyRefusal(id, known, current.hint);
    if (refusal) return refusal;
    const implicit = this.o.implicitApproval(tokenId);
    if (known?.state === "approved") {
      if (!next) return { ok: true, status: "approved", keyHint: current.hint };
      const rotation = this.rotation(id, hello.nextKey!, next.hint, tokenId, implicit);
      // Approved at once (implicitly): the worker signs with its next key from this welcome on.
      if (rotation === "approved") return { ok: true, status: "approved", keyHint: next.hint };
      return { ok: true, status: "approved", keyHint: current.hint, nextKey: rotation };
    }
    // A new worker, or a new key under a known one (a reinstall): the admin decides.
    const kind = enrolments.approvedKey(id) ? "rotate" : "enrol";
    const pending = known?.state === "pending" ? known : enrolments.request(id, hello.signingKey, kind, tokenId);
    if (implicit) {
      enrolments.approve(id, implicit, pending.fingerprint);
      return { ok: true, status: "approved", keyHint: current.hint };
    }
    return { ok: true, status: "pending", fingerprint: pending.fingerprint, kind: pending.kind };
  }

  /** Why this key may not be used for this id, if it may not. */
  private keyRefusal(id: string, known: WorkerKey | undefined, hint: string): Admission | null {
    if (this.o.enrolments.revokedAnywhere(hint)) return refuse("key_revoked", `worker ${id}: its key was revoked`);
    if (!known) return null;
    if (known.workerId !== id)
      return refuse(
        "key_taken",
        `worker ${id} presents the key of worker ${known.workerId}; each worker has its own key`,
      );
    if (known.state === "rejected")
      return refuse("key_rejected", `worker ${id}: an admin rejected this key (fingerprint ${known.fingerprint})`);
    if (known.state === "retired")
      return refuse(
        "key_retired",
        `worker ${id}: this key was replaced by a newer one; the worker must sign with its new key (or be paired again)`,
      );
    return null;
  }

  /** The next key's standing: recorded as pending on first sight (or approved implicitly). */
  private rotation(
    id: string,
    pem: string,
    hint: string,
    tokenId: string,
    implicit: DecidedBy | null,
  ): "pending" | "rejected" | "approved" {
    const known = this.o.enrolments.key(hint);
    if (known && (known.workerId !== id || known.state !== "pending")) return "rejected";
    if (!known) this.o.enrolments.request(id, pem, "rotate", tokenId);
    if (!implicit) return "pending";
    this.o.enrolments.approve(id, implicit);
    return "approved";
  }
}

function proven(
  pem: string,
  text: Buffer,
  signature: string,
): { ok: true; hint: string } | { ok: false; code: string; reason: string } {
  try {
    const key = publicKeyFromPem(pem);
    if (!verify("sha256", text, key, Buffer.from(signature, "base64")))
      return {
        ok: false,
        code: "key_not_proven",
        reason: "could not prove it holds the signing key it announced (on this connection)",
      };
    return { ok: true, hint: keyHint(key) };
  } catch (err) {
    return {
      ok: false,
      code: "invalid_signing_key",
      reason: `invalid signing key or proof: ${(err as Error).message}`,
    };
  }
}

function refuse(code: string, reason: string): Admission {
  return { ok: false, code, reason };
}
