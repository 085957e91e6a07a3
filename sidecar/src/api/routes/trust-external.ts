// Firmware signed outside Forge: the explicit external-signer policy (cosign key or keyless CI
// identity + trusted root, optionally per device), and the upload of a CI-built image with its
// Sigstore bundle into the firmware archive, answered with the verdict it gets under that policy.
import { createHash } from "node:crypto";
import { Router } from "express";
import { ExternalFirmwareUpload, ExternalSigners, type FirmwareImage } from "@esphome-forge/shared";
import type { FirmwareStore } from "../../firmware/firmware-store.js";
import type { Inventory } from "../../inventory/inventory.js";
import { ExternalPolicyError } from "../../trust/policy/external-policy.js";
import type { TrustEngine } from "../../trust/index.js";
import { HttpError } from "../errors.js";
import { parseWith } from "../validate.js";

/** Base64 JSON bodies of this route may be this large (a 16 MB image); everything else keeps 256 kB. */
export const EXTERNAL_FIRMWARE_BODY = "24mb";
export const EXTERNAL_FIRMWARE_PATH = "/trust/external-firmware";

export function trustExternalRoutes(
  engine: TrustEngine,
  firmware: FirmwareStore,
  inventory: Pick<Inventory, "get">,
  implausible: (deviceId: string, image: FirmwareImage) => string | null = () => null,
): Router {
  const r = Router();

  r.get("/trust/external-signers", (_req, res) => {
    res.json({ signers: engine.external.list() });
  });

  r.put("/trust/external-signers", (req, res) => {
    const { signers } = parseWith(ExternalSigners, req.body, "external signers");
    try {
      res.json({ signers: engine.setExternalSigners(signers) });
    } catch (err) {
      if (err instanceof ExternalPolicyError) throw new HttpError(400, "bad_request", err.message);
      throw err;
    }
  });

  r.post(EXTERNAL_FIRMWARE_PATH, (req, res) => {
    const body = parseWith(ExternalFirmwareUpload, req.body, "external firmware");
    if (!inventory.get(body.deviceId)) throw new HttpError(404, "not_found", `no device ${body.deviceId}`);
    const bytes = Buffer.from(body.firmware, "base64");
    if (
      bytes.length === 0 ||
      bytes.toString("base64").replace(/=+$/, "") !== body.firmware.replace(/\s+/g, "").replace(/=+$/, "")
    ) {
      throw new HttpError(400, "bad_request", "firmware must be the image, base64-encoded");
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const image: FirmwareImage = { name: body.name, sha256, size: bytes.length, kind: "ota" };
    const tooSmall = implausible(body.deviceId, image);
    if (tooSmall) throw new HttpError(400, "bad_request", tooSmall);
    try {
      engine.addExternalAttestation(body.bundle, image, body.deviceId);
    } catch (err) {
      throw new HttpError(400, "bad_request", (err as Error).message);
    }
    firmware.put(bytes, sha256, bytes.length);
    const { verdict } = engine.evaluate(body.deviceId, { bytes });
    res.status(201).json({ firmware: image, verdict });
  });

  return r;
}
