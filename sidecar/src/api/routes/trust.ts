// Content-trust REST routes: trusted root and keys for offline verification, revocation (revoke,
// export, import), the transparency log's checkpoint and inclusion proofs, and approval bundles.
import { Router, type Request } from "express";
import {
  DeviceTrustPolicyPut,
  RevokeRequest,
  RotateKeyRequest,
  type TrustPolicy,
  type TrustStatus,
} from "@esphome-forge/shared";
import type { StoredRevocationList, TrustedKey, TrustEngine } from "../../trust/index.js";
import { isExpired, RevocationEntry } from "../../trust/revocation/revocation.js";
import { HttpError } from "../errors.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";
import { requestActor } from "./workspace.js";
import { listTrustChanges } from "../../trust/log/trust-changes.js";
import { effectivePolicy } from "../../trust/policy/device-policy.js";
import { ExternalSignerError } from "../../trust/keys/external-signer.js";

/** Who made a trust change, for the log: the client ("api", "ha", "card", …) and the user it names. */
export function trustActor(req: Request): string {
  const a = requestActor(req);
  return `${a.source}:${a.name}`;
}

/** What the route needs of the inventory: a device's YAML trust_policy comment. */
export interface PolicyDevices {
  get(id: string): { trustPolicy?: TrustPolicy | null } | undefined;
}

const DAY_MS = 86_400_000;

export function trustRoutes(
  engine: TrustEngine,
  policy: () => TrustPolicy,
  devices?: PolicyDevices,
  /** A `worker` entry revokes the worker itself too: its credentials, keys and connection (worker-enrolment.ts). */
  revokeWorker: (workerId: string, reason: string, since: Date) => void = () => {},
): Router {
  const r = Router();

  r.get("/trust/status", async (_req, res) => {
    const { recheck, full } = routeQuery<{ recheck?: string; full?: string }>(res);
    if (full === "true") await engine.auditor.full();
    else if (recheck === "true" || !engine.auditor.last) await engine.auditor.recheck();
    // A full audit in progress (on demand, or the first start after an upgrade) is waited for, not reported half-done.
    await engine.auditor.settled();
    res.json(trustStatus(engine, policy()));
  });

  r.post("/trust/keys/rotate", (req, res) => {
    const { role } = parseWith(RotateKeyRequest, req.body, "rotation");
    let retired: TrustedKey[];
    try {
      retired = engine.rotateKey(role, trustActor(req));
    } catch (err) {
      if (err instanceof ExternalSignerError) throw new HttpError(409, "conflict", err.message);
      throw err;
    }
    const current = engine.keys.active(role, "sidecar")[0];
    if (!current) throw new HttpError(500, "internal", `no active ${role} key after rotation`);
    res.json({ current: keyView(current), retired: retired.map(keyView) });
  });

  r.get("/trust/root", (_req, res) => {
    res.json(engine.trustedRootJson());
  });

  r.get("/trust/keys", (_req, res) => {
    res.json({ keys: engine.keys.list().map(keyView) });
  });

  r.post("/trust/keys/:hint/retire", (req, res) => {
    const { hint } = routeParams<{ hint: string }>(res);
    if (!engine.keys.get(hint)) throw new HttpError(404, "not_found", `no key with hint ${hint}`);
    res.json(keyView(engine.asActor(trustActor(req), () => engine.keys.retire(hint))));
  });

  r.get("/trust/changes", (_req, res) => {
    const { limit, before } = routeQuery<{ limit: number; before?: number }>(res);
    res.json({ changes: listTrustChanges(engine.db, { limit, before }) });
  });

  const policyView = (id: string) => {
    const device = devices?.get(id);
    if (!device) throw new HttpError(404, "not_found", `no device with id ${id}`);
    const sources = { fleet: policy(), yaml: device.trustPolicy ?? null, admin: engine.devicePolicies.get(id) };
    const row = engine.devicePolicies.list().find((p) => p.deviceId === id);
    return { deviceId: id, ...sources, effective: effectivePolicy(sources).policy, logIndex: row?.logIndex ?? null };
  };
  r.get("/trust/devices/:id/policy", (_req, res) => {
    const { id } = routeParams<{ id: string }>(res);
    res.json(policyView(id));
  });
  r.put("/trust/devices/:id/policy", (req, res) => {
    const { id } = routeParams<{ id: string }>(res);
    policyView(id); // 404 first
    const { policy: p } = parseWith(DeviceTrustPolicyPut, req.body, "device trust policy");
    engine.setDevicePolicy(id, p, trustActor(req));
    res.json(policyView(id));
  });

  r.get("/trust/revocations", (_req, res) => {
    const cur = engine.revocations.current();
    if (!cur) throw new HttpError(404, "not_found", "no revocation list has been published yet");
    res.json(listView(cur));
  });

  r.post("/trust/revocations", async (req, res) => {
    const body = parseWith(RevokeRequest, req.body, "revocation request");
    const entries = body.entries.map((e, i) => parseWith(RevocationEntry, e, `revocation entry ${i}`));
    const stored = await engine.revoke(entries, (body.validForDays ?? 90) * DAY_MS);
    for (const e of entries)
      if (e.kind === "worker") revokeWorker(e.workerId, e.reason, e.since ? new Date(e.since) : new Date());
    res.status(201).json(listView(stored));
  });

  r.post("/trust/revocations/import", (req, res) => {
    const result = engine.importRevocations(req.body);
    if (!result.ok) throw new HttpError(400, "bad_request", `revocation list refused: ${result.error}`);
    res.json({ changed: result.changed, version: result.stored.version });
  });

  r.get("/trust/log/checkpoint", (_req, res) => {
    const size = engine.log.size();
    if (size === 0) throw new HttpError(404, "not_found", "the log is empty");
    const cp = engine.log.checkpoint(size);
    res.json({ treeSize: size, envelope: cp.envelope });
  });

  r.get("/trust/log/consistency", (_req, res) => {
    const { from, to } = routeQuery<{ from: number; to?: number }>(res);
    const size = engine.log.size();
    const toSize = to ?? size;
    if (toSize > size) throw new HttpError(404, "not_found", `the log has ${size} entries, not ${toSize}`);
    if (from > toSize) throw new HttpError(400, "bad_request", `from (${from}) is after to (${toSize})`);
    res.json({
      fromTreeSize: from,
      toTreeSize: toSize,
      hashes: engine.log.consistencyProof(from, toSize).map((h) => h.toString("base64")),
      fromCheckpoint: engine.log.checkpoint(from).envelope,
      toCheckpoint: engine.log.checkpoint(toSize).envelope,
    });
  });

  r.get("/trust/log/proof/:index", (_req, res) => {
    const { index } = routeParams<{ index: number }>(res);
    if (index >= engine.log.size()) throw new HttpError(404, "not_found", `no log entry ${index}`);
    res.json(engine.proof(index));
  });

  r.get("/trust/approvals/:sha256", (_req, res) => {
    const { device } = routeQuery<{ device?: string }>(res);
    const { sha256: sha } = routeParams<{ sha256: string }>(res);
    const approval = device
      ? engine.attestations.approvalFor(sha, device)
      : (engine.attestations.forFirmware(sha, "approval")[0] ?? null);
    if (!approval) throw new HttpError(404, "not_found", `no approval for firmware ${sha}`);
    res.setHeader("content-disposition", `attachment; filename="${sha.slice(0, 16)}.ota.bin.sigstore.json"`);
    res.json(approval.bundle);
  });

  return r;
}

function keyView(k: TrustedKey) {
  return {
    hint: k.hint,
    role: k.role,
    owner: k.owner,
    publicKey: k.publicPem,
    enrolledAt: k.enrolledAt.toISOString(),
    retiredAt: k.retiredAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    revokeReason: k.revokeReason,
  };
}

/** Policy, revocation list and log audit as GET /trust/status shows them (also read by the metrics). */
export function trustStatus(engine: TrustEngine, policy: TrustPolicy): TrustStatus {
  let revocations: TrustStatus["revocations"] = null;
  let revocationError: string | null = null;
  try {
    const cur = engine.revocations.current();
    if (cur) {
      const { issuedAt, expiresAt, entries } = cur.list;
      revocations = {
        version: cur.version,
        issuedAt,
        expiresAt,
        expired: isExpired(cur.list, new Date()),
        entries: entries.length,
      };
    }
  } catch (err) {
    revocationError = (err as Error).message;
  }
  const keys = engine.keys.list();
  const audit = engine.auditor.last;
  return {
    policy,
    revocations,
    revocationError,
    log: {
      size: engine.log.size(),
      audit: audit && {
        ok: audit.ok,
        checkedAt: audit.checkedAt,
        treeSize: audit.treeSize,
        checkpointsChecked: audit.checkpointsChecked,
        problems: audit.problems,
        scope: audit.scope,
        fromTreeSize: audit.fromTreeSize,
      },
    },
    keys: {
      active: keys.filter((k) => !k.retiredAt && !k.revokedAt).length,
      retired: keys.filter((k) => k.retiredAt && !k.revokedAt).length,
      revoked: keys.filter((k) => k.revokedAt).length,
    },
  };
}

function listView(s: StoredRevocationList) {
  return {
    version: s.version,
    expiresAt: s.list.expiresAt,
    entries: s.list.entries,
    logIndex: s.logIndex,
    bundle: s.bundle,
  };
}
