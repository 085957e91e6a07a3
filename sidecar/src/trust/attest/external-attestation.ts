// Firmware signed outside Forge (a CI release with its cosign / Sigstore bundle): the bundle is parsed
// and kept by firmware digest, so the gate can evaluate it under the external-signer policy (the
// bundle itself is checked at use), and its arrival is logged.
import { bundleToJSON } from "@sigstore/bundle";
import type { TransparencyLog } from "../log/log-store.js";
import type { AttestationStore, StoredAttestation } from "./attestation-store.js";
import { parseBundle } from "./verify-bundle.js";

export function storeExternalAttestation(
  stores: { attestations: AttestationStore; log: TransparencyLog },
  bundle: unknown,
  firmware: { name: string; sha256: string },
  deviceId: string | null,
): StoredAttestation {
  const parsed = parseBundle(bundle);
  if (!parsed.ok) throw new Error(`external bundle: ${parsed.reason}`);
  const json = bundleToJSON(parsed.bundle);
  const key = parsed.bundle.verificationMaterial.content;
  const hint = key.$case === "publicKey" ? key.publicKey.hint : null;
  const att = stores.attestations.add({
    kind: "external",
    deviceId,
    signerHint: hint,
    bundle: json,
    subjects: [firmware],
  });
  stores.log.appendEvent("external_attestation", { firmwareSha256: firmware.sha256, deviceId, signerHint: hint });
  return att;
}
