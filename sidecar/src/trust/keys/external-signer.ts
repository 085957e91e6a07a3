// A signing key held outside the sidecar's disk: a hardware token, a KMS, an HSM. Configured per own key
// by `<keysDir>/<role>.signer.json`:
//   { "command": ["openssl", "dgst", "-sha256", "-sign", "/run/secrets/sidecar.pem"], "publicKey": "<PEM>" }
// The sidecar pipes the bytes to sign to the command's stdin and reads a DER ECDSA P-256 / SHA-256
// signature from its stdout (what `openssl dgst -sha256 -sign`, `pkcs11-tool --sign -m ECDSA-SHA256
// --signature-format openssl` or a KMS CLI wrapper print). Each signature is checked against the
// configured public key before use, so a misconfigured signer fails loudly instead of producing
// signatures nothing verifies. Signing runs the command synchronously (a few ms per signature).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { verify } from "node:crypto";
import { keyHint, publicKeyFromPem, type SigningKey } from "./keys.js";
import { readIfPresent } from "../../util/read-if-present.js";

export class ExternalSignerError extends Error {}

export interface ExternalSignerConfig {
  command: string[];
  publicKey: string;
  /** Milliseconds before the command is killed (default 10 s: a token may ask for a touch). */
  timeoutMs?: number;
}

export function externalSignerPath(keysDir: string, role: string): string {
  return join(keysDir, `${role}.signer.json`);
}

/** The configured external signer for a role, or null when the role uses a key file. */
export function readExternalSigner(keysDir: string, role: string): ExternalSignerConfig | null {
  const file = externalSignerPath(keysDir, role);
  const text = readIfPresent(file);
  if (text === null) return null;
  let c: Partial<ExternalSignerConfig>;
  try {
    c = JSON.parse(text) as Partial<ExternalSignerConfig>;
  } catch {
    throw new ExternalSignerError(`${file} is not valid JSON`);
  }
  if (!Array.isArray(c.command) || c.command.length === 0 || !c.command.every((a) => typeof a === "string"))
    throw new ExternalSignerError(`${file}: "command" must be a non-empty array of strings (no shell)`);
  if (typeof c.publicKey !== "string") throw new ExternalSignerError(`${file}: "publicKey" (PEM) is missing`);
  return { command: c.command, publicKey: c.publicKey, timeoutMs: c.timeoutMs };
}

export function externalSigningKey(c: ExternalSignerConfig): SigningKey {
  const publicKey = publicKeyFromPem(c.publicKey);
  const [cmd, ...args] = c.command;
  return {
    privateKey: null,
    publicKey,
    publicPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    hint: keyHint(publicKey),
    sign(data: Uint8Array): Buffer {
      const r = spawnSync(cmd!, args, { input: data, timeout: c.timeoutMs ?? 10_000, maxBuffer: 64 * 1024 });
      // A command that exits before reading all its input leaves EPIPE behind: its exit status says more.
      const exitedEarly = (r.error as NodeJS.ErrnoException | undefined)?.code === "EPIPE" && r.status !== null;
      if (r.error && !exitedEarly) throw new ExternalSignerError(`external signer ${cmd}: ${r.error.message}`);
      if (r.status !== 0)
        throw new ExternalSignerError(
          `external signer ${cmd} exited with ${r.status ?? r.signal}: ${r.stderr.toString("utf8").trim().slice(0, 500)}`,
        );
      const sig = r.stdout;
      if (!verify("sha256", data, publicKey, sig))
        throw new ExternalSignerError(
          `external signer ${cmd} returned a signature that does not verify with the configured public key`,
        );
      return sig;
    },
  };
}
