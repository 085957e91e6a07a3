// Interop with an independent Sigstore implementation through its public interface (its CLI), installed
// by scripts/ensure-trust-tools.sh: cosign (sigstore-go) verifies our bundles natively with only our
// public key and trusted root, and a cosign-signed firmware verifies in our `verify`. (sigstore-python's
// public API refuses bundles signed with a bare key, so there is no sigstore-python check: a test that
// reached into its private modules would not be interop.) The suite skips, saying why, without cosign.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "./keys/keys.js";
import { FORGE_APPROVAL_V1 } from "./attest/statements.js";
import { buildTrustedRoot } from "./keys/trusted-root.js";
import { approvedBuild, openHarness, type Harness } from "../../test-support/trust-fixtures.js";
import { EXIT_NOT_VERIFIED, EXIT_VERIFIED, verifyCommand } from "./cli/verify-cli.js";

const run = promisify(execFile);
const cache = process.env.FORGE_CACHE ?? join(homedir(), ".cache", "esphome-forge");
const cosign = process.env.FORGE_COSIGN ?? join(cache, "trust-tools", "cosign-v3.1.3", "cosign");
const haveCosign = existsSync(cosign);
if (!haveCosign) console.warn(`cosign interop skipped: ${cosign} missing (run scripts/ensure-trust-tools.sh)`);

let h: Harness;
let f: Record<string, string>;

beforeAll(async () => {
  h = openHarness();
  const b = await approvedBuild(h);
  if (!b.result.ok) throw new Error("unreachable");
  h.engine.log.appendEvent("ota", { filler: true }); // the bundle's checkpoint is then not the log head
  const w = (name: string, data: string | Buffer) => {
    writeFileSync(join(h.dir, name), data);
    return join(h.dir, name);
  };
  const tampered = Buffer.from(b.fw.ota);
  tampered[1234] = tampered[1234]! ^ 0x01;
  const otherLog = generateSigningKey();
  mkdirSync(join(h.dir, "tuf"), { recursive: true });
  f = {
    fw: w("firmware.ota.bin", b.fw.ota),
    tampered: w("tampered.bin", tampered),
    approval: w("firmware.ota.bin.sigstore.json", JSON.stringify(b.result.approval.bundle)),
    build: w("provenance.sigstore.json", JSON.stringify(b.result.build.bundle)),
    sidecarPub: w("sidecar.pub", h.engine.sidecarKey.publicPem),
    workerPub: w("worker.pub", b.workerKey.publicPem),
    otherPub: w("other.pub", generateSigningKey().publicPem),
    root: w("trusted_root.json", JSON.stringify(h.engine.trustedRootJson())),
    otherRoot: w(
      "other_root.json",
      JSON.stringify(
        buildTrustedRoot([{ name: "esphome-forge-log", publicKey: otherLog.publicKey, validFrom: new Date(0) }]),
      ),
    ),
    // cosign signs with no Fulcio/Rekor/TSA: an empty signing config, and our root instead of a TUF fetch.
    signingConfig: w(
      "signing_config.json",
      JSON.stringify({
        mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        caUrls: [],
        oidcUrls: [],
        rekorTlogUrls: [],
        tsaUrls: [],
        rekorTlogConfig: { selector: "ANY" },
        tsaConfig: { selector: "ANY" },
      }),
    ),
  };
});
afterAll(() => h?.close());

// Never let cosign reach for the public-good TUF repository: a private TUF_ROOT and always --trusted-root.
async function cosignRun(...args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(cosign, args, {
      cwd: h.dir,
      env: { ...process.env, TUF_ROOT: join(h.dir, "tuf"), COSIGN_PASSWORD: "", COSIGN_YES: "true" },
      timeout: 60_000,
    });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe.skipIf(!haveCosign)("cosign (sigstore-go)", () => {
  it("verifies the sidecar approval with only our public key and trusted root, log entry included", async () => {
    const ok = await cosignRun(
      "verify-blob-attestation",
      "--key",
      f.sidecarPub!,
      "--bundle",
      f.approval!,
      "--trusted-root",
      f.root!,
      "--type",
      FORGE_APPROVAL_V1,
      f.fw!,
    );
    expect(ok.out).toMatch(/Verified OK/);
    expect(ok.ok).toBe(true);
    const prov = await cosignRun(
      "verify-blob-attestation",
      "--key",
      f.workerPub!,
      "--bundle",
      f.build!,
      "--trusted-root",
      f.root!,
      "--type",
      "slsaprovenance1",
      f.fw!,
    );
    expect(prov.out).toMatch(/Verified OK/);
  });

  it("rejects altered firmware, another key, and a root without our log", async () => {
    const args = (fw: string, key: string, root: string) => [
      "verify-blob-attestation",
      "--key",
      key,
      "--bundle",
      f.approval!,
      "--trusted-root",
      root,
      "--type",
      FORGE_APPROVAL_V1,
      fw,
    ];
    const tampered = await cosignRun(...args(f.tampered!, f.sidecarPub!, f.root!));
    expect(tampered).toMatchObject({ ok: false, out: expect.stringMatching(/digests do not match/) });
    expect((await cosignRun(...args(f.fw!, f.otherPub!, f.root!))).ok).toBe(false);
    expect((await cosignRun(...args(f.fw!, f.sidecarPub!, f.otherRoot!))).ok).toBe(false);
  });

  it("a firmware signed with `cosign sign-blob --key` verifies in `esphome-forge verify`", async () => {
    expect((await cosignRun("generate-key-pair")).ok).toBe(true);
    const signed = await cosignRun(
      "sign-blob",
      "--key",
      "cosign.key",
      "--signing-config",
      f.signingConfig!,
      "--trusted-root",
      f.root!,
      "--bundle",
      "cosign.sigstore.json",
      "-y",
      f.fw!,
    );
    expect(signed.ok, signed.out).toBe(true);
    const io = { out: () => {}, err: () => {} };
    const bundle = join(h.dir, "cosign.sigstore.json");
    const strict = ["--device", "kitchen", "--no-revocation-check", "--allow-rollback"];
    expect(await verifyCommand([f.fw!, "--bundle", bundle, "--key", join(h.dir, "cosign.pub"), ...strict], io)).toBe(
      EXIT_VERIFIED,
    );
    expect(await verifyCommand([f.tampered!, "--bundle", bundle, "--key", join(h.dir, "cosign.pub")], io)).toBe(
      EXIT_NOT_VERIFIED,
    );
    expect(await verifyCommand([f.fw!, "--bundle", bundle, "--key", f.sidecarPub!], io)).toBe(EXIT_NOT_VERIFIED);
  });
});
