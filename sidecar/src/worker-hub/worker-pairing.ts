// Pairing in one step: `worker pair` makes a one-time code and the command to run on the worker
// machine; `worker join` redeems it over TLS (pinning the sidecar's key), proves the worker's new key
// bound to that TLS session, and receives a credential bound to that key and worker id. The worker
// then waits as pending for the admin (or is approved at once with autoApproveWorkers).
import { verify } from "node:crypto";
import { joinProofText, type JoinRequest, type JoinResponse, type PairingResponse } from "@esphome-forge/shared";
import { keyFingerprint, keyHint, publicKeyFromPem } from "../trust/keys/keys.js";
import { formatJoinLink } from "../util/join-link.js";
import type { DecidedBy, WorkerEnrolments } from "./worker-enrolment.js";
import { PairingCodes } from "./pairing-codes.js";
import type { WorkerRegistry } from "./worker-registry.js";
import type { WorkerTokens } from "./worker-tokens.js";

/** How workers reach this sidecar, for the link. */
export interface PairingAddress {
  host: string;
  port: number;
  /** The TLS key fingerprint workers pin; null: the sidecar serves a CA-verified certificate of its own. */
  fingerprint: string | null;
}

export class JoinRefused extends Error {
  constructor(
    readonly status: 401 | 409,
    message: string,
    /** A wrong or spent code counts against the client address (guessing). */
    readonly guess: boolean,
  ) {
    super(message);
  }
}

/** The image the container command runs (the delivery's worker image; one name to change). */
export const WORKER_IMAGE = process.env.FORGE_WORKER_IMAGE ?? "esphome-forge-worker";

export interface WorkerPairingOptions {
  codes: PairingCodes;
  tokens: WorkerTokens;
  enrolments: WorkerEnrolments;
  registry: Pick<WorkerRegistry, "rememberJoined">;
  /** autoApproveWorkers: approve without a person. */
  autoApprove: () => DecidedBy | null;
  address: (host?: string) => PairingAddress;
}

export class WorkerPairing {
  constructor(private readonly o: WorkerPairingOptions) {}

  pair(host?: string): PairingResponse {
    const { code, expiresAt } = this.o.codes.create();
    const a = this.o.address(host);
    const link = formatJoinLink({ tls: true, host: a.host, port: a.port, path: "/", code, fingerprint: a.fingerprint });
    return {
      code,
      expiresAt: new Date(expiresAt).toISOString(),
      link,
      fingerprint: a.fingerprint,
      command: `npx esphome-forge worker join '${link}'`,
      containerCommand:
        `docker run -d --name esphome-forge-worker --restart unless-stopped -v esphome-forge-worker:/state ` +
        `${WORKER_IMAGE} worker join '${link}' --state-dir /state`,
    };
  }

  /** `channel`: the TLS session's exported keying material the proof must be bound to (`none` when plain). */
  join(req: JoinRequest, channel: string): JoinResponse {
    const codeId = PairingCodes.idOf(req.code)!;
    let hint: string;
    let fingerprint: string;
    try {
      const key = publicKeyFromPem(req.publicKey);
      const text = Buffer.from(joinProofText(codeId, req.workerId, channel), "utf8");
      if (!verify("sha256", text, key, Buffer.from(req.proof, "base64")))
        throw new Error("the proof does not verify with the key on this connection");
      hint = keyHint(key);
      fingerprint = keyFingerprint(key);
    } catch (err) {
      throw new JoinRefused(401, `worker ${req.workerId}: key not proven: ${(err as Error).message}`, true);
    }
    const { enrolments } = this.o;
    // Refusals that no code can lift are answered before the code is spent.
    if (enrolments.isRevoked(req.workerId))
      throw new JoinRefused(409, `worker ${req.workerId} was revoked; join with a new state folder`, false);
    if (enrolments.revokedAnywhere(hint)) throw new JoinRefused(409, "this key was revoked", false);
    const known = enrolments.key(hint);
    if (known && known.workerId !== req.workerId)
      throw new JoinRefused(409, `this key belongs to worker ${known.workerId}`, false);
    if (known && (known.state === "rejected" || known.state === "retired"))
      throw new JoinRefused(409, `this key was ${known.state}; join with a new state folder`, false);
    const redeemed = this.o.codes.redeem(req.code, req.workerId);
    if (!redeemed.ok) throw new JoinRefused(401, redeemed.reason, true);

    const { token, secret } = this.o.tokens.create(`worker ${req.name}`, { workerId: req.workerId, keyHint: hint });
    this.o.registry.rememberJoined(req.workerId, req.name, token.id);
    if (known?.state !== "approved") {
      const kind = enrolments.approvedKey(req.workerId) ? "rotate" : "enrol";
      if (known?.state !== "pending") enrolments.request(req.workerId, req.publicKey, kind, token.id);
      const implicit = this.o.autoApprove();
      if (implicit) enrolments.approve(req.workerId, implicit, fingerprint);
    }
    return {
      workerId: req.workerId,
      token: secret,
      enrolment: enrolments.view(req.workerId).enrolment,
      keyFingerprint: fingerprint,
    };
  }
}
