// Device signing keys for ESPHome's signed OTA (docs/signed-ota.md): list, create, rotate, retire,
// download a public key, and the YAML that makes a device enforce them. Public halves only: the
// private keys stay in the sidecar's key folder. Signing itself is not exposed here.
import { Router } from "express";
import { OtaKeyCreateRequest, OtaKeyRetireRequest, SignedOtaYamlRequest, type OtaKey } from "@esphome-forge/shared";
import type { TrustEngine } from "../../trust/index.js";
import { DeviceYamlError, OtaKeyError, signedOtaYaml, type OtaKeyRecord } from "../../trust/ota-signing/index.js";
import { SIG_BLOCK_MAX } from "../../trust/ota-signing/sbv2-block.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";

const STATUS: Record<OtaKeyError["code"], [number, "not_found" | "bad_request" | "conflict"]> = {
  not_found: [404, "not_found"],
  ambiguous: [400, "bad_request"],
  limit: [409, "conflict"],
  last_active: [409, "conflict"],
  state: [409, "conflict"],
};

/** Runs `fn`, turning the key store's and the YAML helper's refusals into HTTP errors that say why. */
async function refusals<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OtaKeyError) throw new HttpError(...STATUS[err.code], err.message);
    if (err instanceof DeviceYamlError) throw new HttpError(400, "bad_request", err.message);
    throw err;
  }
}

export function otaKeyView(k: OtaKeyRecord): OtaKey {
  return {
    digest: k.digest,
    name: k.name,
    createdAt: k.createdAt,
    state: k.state,
    retiredAt: k.retiredAt,
    signer: k.signer.kind,
    publicKey: k.publicKeyPem,
  };
}

export function trustOtaKeyRoutes(engine: TrustEngine): Router {
  const r = Router();
  const store = engine.otaKeys;

  r.get("/trust/ota-keys", (_req, res) => {
    res.json({ keys: store.list().map(otaKeyView), maxActive: SIG_BLOCK_MAX });
  });

  r.post("/trust/ota-keys", async (req, res) => {
    const { name } = parseWith(OtaKeyCreateRequest, req.body ?? {}, "key request");
    res.status(201).json(otaKeyView(await refusals(() => store.create(name))));
  });

  r.post("/trust/ota-keys/rotate", async (req, res) => {
    const { name } = parseWith(OtaKeyCreateRequest, req.body ?? {}, "rotation request");
    const rot = await refusals(() => store.rotate(name));
    res.json({ added: otaKeyView(rot.added), active: rot.active.map(otaKeyView), steps: rot.steps });
  });

  r.post("/trust/ota-keys/yaml", async (req, res) => {
    const body = parseWith(SignedOtaYamlRequest, req.body ?? {}, "YAML request");
    const out = await refusals(() => {
      const keys = body.keys ? body.keys.map((id) => store.get(id)) : store.active();
      if (keys.length === 0) throw new DeviceYamlError("no active device signing key: create one first");
      return signedOtaYaml({
        keys: keys.map((k) => ({ digest: k.digest, name: k.name, publicKeyPem: k.publicKeyPem })),
        keyForm: body.keyForm,
        variant: body.variant ?? null,
        downgradeProtection: body.downgradeProtection ?? null,
      });
    });
    res.json(out);
  });

  r.post("/trust/ota-keys/:digest/retire", async (req, res) => {
    const { force } = parseWith(OtaKeyRetireRequest, req.body ?? {}, "retire request");
    res.json(otaKeyView(await refusals(() => store.retire(req.params.digest, { force }))));
  });

  r.get("/trust/ota-keys/:digest/public.pem", async (req, res) => {
    const key = await refusals(() => store.get(req.params.digest));
    res
      .type("application/x-pem-file")
      .setHeader("content-disposition", `attachment; filename="forge-ota-${key.digest.slice(0, 16)}.pem"`)
      .send(key.publicKeyPem);
  });

  return r;
}
