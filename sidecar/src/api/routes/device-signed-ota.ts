// The YAML helper for ESPHome signed OTA, per device (docs/signed-ota.md): the block with Forge's
// active key digests, the device's own file with it applied (a preview), and applying it through the
// config workspace — one commit with the requester as author and its source, If-Match-guarded, then a
// validate job, like any other edit.
import { Router } from "express";
import { ApplySignedOtaRequest, type DeviceSignedOtaPlan } from "@esphome-forge/shared";
import type { TrustEngine } from "../../trust/index.js";
import { mergeSignedOta } from "../../trust/ota-signing/apply-yaml.js";
import { DeviceYamlError, signedOtaYaml } from "../../trust/ota-signing/device-yaml.js";
import type { DeviceOps } from "../../workspace/device-ops.js";
import { parseIfMatch } from "../../workspace/paths.js";
import { HttpError } from "../errors.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";
import { requestActor } from "./workspace.js";

export function deviceSignedOtaRoutes(
  trust: TrustEngine,
  ops: DeviceOps,
  /** The device's ESP32 variant as ESPHome resolved it (the file may name only a board). */
  variantOf: (deviceId: string) => string | null,
): Router {
  const r = Router();
  const keys = () => {
    const active = trust.otaKeys.active();
    if (active.length === 0)
      throw new HttpError(409, "conflict", "no active device signing key: create one first (POST /trust/ota-keys)");
    return active;
  };

  r.get("/devices/:id/signed-ota", async (_req, res) => {
    const id = routeParams<{ id: string }>(res).id;
    const { downgradeProtection } = routeQuery<{ downgradeProtection?: boolean }>(res);
    const active = keys();
    const file = await ops.read(ops.deviceFile(id));
    const block = signedOtaYaml({ keys: active.map((k) => ({ digest: k.digest, name: k.name })) });
    let apply: DeviceSignedOtaPlan["apply"] = null;
    let applyError: string | null = null;
    try {
      const m = mergeSignedOta(file.content, {
        digests: active.map((k) => k.digest),
        downgradeProtection,
        variant: variantOf(id),
      });
      apply = { path: file.path, sha256: file.sha256, ...m };
    } catch (err) {
      if (!(err instanceof DeviceYamlError)) throw err;
      applyError = err.message;
    }
    const plan: DeviceSignedOtaPlan = {
      deviceId: id,
      keys: active.map((k) => k.digest),
      yaml: block.yaml,
      apply,
      applyError,
    };
    res.json(plan);
  });

  r.post("/devices/:id/signed-ota/apply", async (req, res) => {
    const id = routeParams<{ id: string }>(res).id;
    const body = parseWith(ApplySignedOtaRequest, req.body ?? {}, "apply request");
    const header = req.get("if-match");
    const ifMatch = parseIfMatch(header);
    if (ifMatch === null)
      throw new HttpError(
        428,
        "precondition_required",
        "send If-Match with the sha256 of the file the preview was made from",
      );
    const active = keys();
    const rel = ops.deviceFile(id);
    const file = await ops.read(rel);
    let merged;
    try {
      merged = mergeSignedOta(file.content, {
        digests: active.map((k) => k.digest),
        downgradeProtection: body.downgradeProtection,
        variant: variantOf(id),
      });
    } catch (err) {
      if (err instanceof DeviceYamlError) throw new HttpError(400, "bad_request", err.message);
      throw err;
    }
    const message =
      body.message ?? `Enable signed OTA with Forge's keys ${active.map((k) => k.digest.slice(0, 16)).join(", ")}`;
    // The guard is checked against the file as it is when the commit is made (a change meanwhile is a 409).
    res.json(
      await ops.save(rel, merged.content, { ifMatch, create: false }, requestActor(req), { message, validate: true }),
    );
  });
  return r;
}
