// Content-trust REST routes: trusted root and keys for offline verification, revocation (revoke,
// export, import), the transparency log's checkpoint and inclusion proofs, and approval bundles.
import { Router } from "express";
import { RevokeRequest, RotateKeyRequest, type TrustPolicy, type TrustStatus } from "@esphome-forge/shared";
import type { StoredRevocationList, TrustedKey, TrustEngine } from "../../trust/index.js";
import { isExpired, RevocationEntry } from "../../trust/revocation/revocation.js";
import { HttpError } from "../errors.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";

const DAY_MS = 86_400_000;

export function trustRoutes(engine: TrustEngine, policy: () => TrustPolicy): Router {
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
    const retired = engine.rotateKey(role);
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

  r.post("/trust/keys/:hint/retire", (_req, res) => {
    const { hint } = routeParams<{ hint: string }>(res);
    if (!engine.keys.get(hint)) throw new HttpError(404, "not_found", `no key with hint ${hint}`);
    res.json(keyView(engine.keys.retire(hint)));
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
