// The sidecar's own keys — approval signing, log checkpoints/SETs, revocation lists — one file each
// (0600) in the data folder, each enrolled in the registry. Rotation writes a new key over the file,
// enrols it and retires the old one, whose public half stays enrolled so old signatures keep verifying.
import { join } from "node:path";
import type { KeyRegistry, TrustedKey } from "./key-registry.js";
import { generateSigningKey, loadOrCreateKey, writePrivateKeyFile, type SigningKey } from "./keys.js";
import { ExternalSignerError, externalSignerPath, externalSigningKey, readExternalSigner } from "./external-signer.js";

export type OwnKeyRole = "sidecar" | "log" | "revocation";
export const OWN_KEY_OWNER = "sidecar";

export function ownKeyPath(keysDir: string, role: OwnKeyRole): string {
  return join(keysDir, `${role}.key`);
}

/** Loads (or creates on first start) one of the sidecar's keys and makes sure it is enrolled. */
export function loadOwnKey(registry: KeyRegistry, keysDir: string, role: OwnKeyRole): SigningKey {
  const external = readExternalSigner(keysDir, role);
  if (external) return loadExternalKey(registry, externalSigningKey(external), role);
  const { key } = loadOrCreateKey(ownKeyPath(keysDir, role));
  const enrolled = registry.get(key.hint);
  if (enrolled && (enrolled.retiredAt || enrolled.revokedAt)) {
    // E.g. a restored backup of the key folder: signing with it would produce refused signatures.
    throw new Error(
      `${ownKeyPath(keysDir, role)} holds a ${enrolled.revokedAt ? "revoked" : "retired"} ${role} key; rotate it`,
    );
  }
  registry.enrol({ role, owner: OWN_KEY_OWNER, publicKeyPem: key.publicPem });
  return key;
}

/**
 * A key held by an external signer: enrolled like a file key; configuring a new one is its rotation (the
 * role's other keys are retired, their signatures stay verifiable).
 */
function loadExternalKey(registry: KeyRegistry, key: SigningKey, role: OwnKeyRole): SigningKey {
  const enrolled = registry.get(key.hint);
  if (enrolled && (enrolled.retiredAt || enrolled.revokedAt))
    throw new Error(`the external ${role} signer holds a ${enrolled.revokedAt ? "revoked" : "retired"} key`);
  registry.enrol({ role, owner: OWN_KEY_OWNER, publicKeyPem: key.publicPem });
  for (const k of registry.active(role, OWN_KEY_OWNER)) if (k.hint !== key.hint) registry.retire(k.hint);
  return key;
}

export interface Rotation {
  key: SigningKey;
  retired: TrustedKey[];
}

/** Replaces the key file with a fresh key; the old key is retired as of now (not revoked). */
export function rotateOwnKey(registry: KeyRegistry, keysDir: string, role: OwnKeyRole): Rotation {
  if (readExternalSigner(keysDir, role))
    throw new ExternalSignerError(
      `the ${role} key is held by an external signer: make a new key there and put its public key in ${externalSignerPath(keysDir, role)}, then restart`,
    );
  const previous = registry.active(role, OWN_KEY_OWNER);
  const key = generateSigningKey();
  // Enrol first: if we crash before the file is replaced, the old key still works and the new one is unused.
  registry.enrol({ role, owner: OWN_KEY_OWNER, publicKeyPem: key.publicPem });
  writePrivateKeyFile(ownKeyPath(keysDir, role), key);
  const retired = previous.filter((k) => k.hint !== key.hint).map((k) => registry.retire(k.hint));
  return { key, retired };
}
