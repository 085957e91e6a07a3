// The sidecar's approval key held by an external command (here a script around `openssl dgst -sign`, as a
// hardware token's or KMS's CLI would be): nothing of it on the sidecar's disk, approvals verify, a
// signer that answers with the wrong key or fails is refused loudly, rotation points at the signer.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { TrustEngine } from "../engine.js";
import { generateSigningKey, writePrivateKeyFile } from "./keys.js";
import { approvedBuild, fakeClock } from "../../../test-support/trust-fixtures.js";
import { ExternalSignerError, externalSignerPath } from "./external-signer.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A "token": a key file outside the data folder and a script that signs stdin with it. */
function token(): { script: string; publicPem: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "forge-token-"));
  dirs.push(dir);
  const key = generateSigningKey();
  writePrivateKeyFile(join(dir, "token.pem"), key);
  const script = join(dir, "sign.sh");
  writeFileSync(script, `#!/bin/sh\nexec openssl dgst -sha256 -sign "${join(dir, "token.pem")}"\n`);
  chmodSync(script, 0o700);
  return { script, publicPem: key.publicPem, dir };
}

function engineWith(signer: { command: string[]; publicKey: string }) {
  const dataDir = mkdtempSync(join(tmpdir(), "forge-ext-"));
  dirs.push(dataDir);
  const keysDir = join(dataDir, "trust", "keys");
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  writeFileSync(externalSignerPath(keysDir, "sidecar"), JSON.stringify(signer));
  const db = new Database(join(dataDir, "forge.db"));
  const clock = fakeClock();
  const engine = new TrustEngine({ db, dataDir, now: clock.now });
  return { dir: dataDir, db, clock, engine, keysDir, close: () => db.close() };
}

describe("external-command signer", () => {
  it("signs approvals through the command; no sidecar key file exists and the approval verifies", async () => {
    const t = token();
    const h = engineWith({ command: [t.script], publicKey: t.publicPem });
    try {
      expect(readdirSync(h.keysDir)).not.toContain("sidecar.key");
      expect(h.engine.sidecarKey.privateKey).toBeNull();
      const b = await approvedBuild(h);
      expect(b.result.ok).toBe(true);
      const v = h.engine.gate("kitchen", b.fw.ota, "enforce");
      expect(v.verdict).toMatchObject({ state: "verified" });
      expect(v.verdict.signer).toContain(h.engine.sidecarKey.hint.slice(0, 8));
      expect(() => h.engine.rotateKey("sidecar")).toThrow(ExternalSignerError);
    } finally {
      h.close();
    }
  });

  it("refuses a signer whose signatures do not match the configured key, or that fails", async () => {
    const t = token();
    const other = generateSigningKey();
    const wrong = engineWith({ command: [t.script], publicKey: other.publicPem });
    try {
      await expect(approvedBuild(wrong)).rejects.toThrow(/does not verify with the configured public key/);
    } finally {
      wrong.close();
    }
    const failing = engineWith({
      command: ["openssl", "dgst", "-sha256", "-sign", join(t.dir, "missing.pem")],
      publicKey: t.publicPem,
    });
    try {
      await expect(approvedBuild(failing)).rejects.toThrow(/external signer openssl exited with 1/);
      expect(existsSync(join(failing.keysDir, "sidecar.key"))).toBe(false);
    } finally {
      failing.close();
    }
  });
});
