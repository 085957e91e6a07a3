// Firmware signed keyless in CI (a GitHub Actions identity), checked offline: @sigstore/mock's CA and CT
// log issue the short-lived certificate in process (no HTTP at all), our own log witnesses the signature
// (its SET is the timestamp proving the certificate was valid), and a local trusted root holds them.
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { initializeCA, initializeCTLog } from "@sigstore/mock";
import { bundleToJSON, type SerializedBundle } from "@sigstore/bundle";
import { MessageSignatureBundleBuilder } from "@sigstore/sign";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { evaluateTrust } from "./evaluator.js";
import type { ExternalSigner } from "./verdict.js";
import { generateSigningKey, signBytes, spkiDer } from "../keys/keys.js";
import { logWitness } from "../log/log-witness.js";
import { loadTrustedRoot, type TrustedRootJson } from "../keys/trusted-root.js";
import { openHarness, type Harness } from "../../../test-support/trust-fixtures.js";
import { EXIT_NOT_VERIFIED, EXIT_VERIFIED, verifyCommand } from "../cli/verify-cli.js";

const ISSUER = "https://token.actions.githubusercontent.com";
const WORKFLOW = "https://github.com/acme/firmware/.github/workflows/release.yml@refs/tags/v1.2.0";
const OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";

let h: Harness;
let ciRoot: TrustedRootJson;
let bundle: SerializedBundle;
const firmware = Buffer.from("firmware built by the release workflow");

beforeEach(async () => {
  // The mock CA stamps its root "now" (real time), so the log clock must run on real time too.
  h = openHarness({}, new Date(Date.now() + 2000).toISOString());
  const clock = h.clock.now();
  const ecKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ctlog = await initializeCTLog(ecKey(), clock);
  const ca = await initializeCA(ecKey(), ctlog, clock);
  const ephemeral = generateSigningKey();
  const cert = await ca.issueCertificate({
    publicKey: new Uint8Array(spkiDer(ephemeral.publicKey)),
    subjectAltName: WORKFLOW,
    extensions: [{ oid: OID_ISSUER_V2, value: ISSUER }],
  });
  const certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength).toString("base64")}\n-----END CERTIFICATE-----\n`;
  const signer = {
    sign: async (data: Buffer) => ({
      signature: signBytes(ephemeral, data),
      key: { $case: "x509Certificate" as const, certificate: certPem },
    }),
  };
  // Like `cosign sign-blob` keyless: message signature, certificate, log entry with SET.
  bundle = bundleToJSON(
    await new MessageSignatureBundleBuilder({
      signer,
      witnesses: [logWitness(h.engine.log, "external_attestation")],
    }).create({ data: firmware }),
  );
  const b64 = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  ciRoot = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [],
    certificateAuthorities: [
      {
        subject: { organization: "sigstore.mock", commonName: "sigstore" },
        uri: "https://fulcio.invalid",
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start: "2020-01-01T00:00:00Z" },
      },
    ],
    ctlogs: [
      {
        baseUrl: "https://ctfe.invalid",
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: ctlog.publicKey.toString("base64"),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start: "2020-01-01T00:00:00Z" },
        },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [],
  };
});
afterEach(() => h.close());

function context(signers: ExternalSigner[], withCa = true) {
  const ours = h.engine.trustedRootJson();
  const root = loadTrustedRoot({
    ...ours,
    certificateAuthorities: withCa ? ciRoot.certificateAuthorities : [],
    ctlogs: ciRoot.ctlogs,
  });
  if (!root.ok) throw new Error(root.error);
  return { ...h.engine.context(), trustedRoot: root.value, externalSigners: signers };
}

const release: ExternalSigner = {
  name: "release workflow",
  keyless: {
    issuer: ISSUER,
    subjectPattern: "https://github\\.com/acme/firmware/\\.github/workflows/release\\.yml@refs/tags/v.*",
    ctlogThreshold: 1,
  },
};

describe("keyless CI signatures", () => {
  it("verifies under a policy naming the workflow identity and issuer", () => {
    const v = evaluateTrust(
      { deviceId: "kitchen", firmware: { bytes: firmware }, external: bundle },
      context([release]),
    ).verdict;
    expect(v).toMatchObject({ state: "verified", signer: expect.stringContaining(WORKFLOW) });
  });

  it("refuses other identities, other devices, tampered bytes and an unknown CA", () => {
    const other: ExternalSigner = {
      ...release,
      keyless: { ...release.keyless!, subjectPattern: "https://github\\.com/acme/other/.*" },
    };
    const eval_ = (bytes: Buffer, signers: ExternalSigner[], withCa = true, deviceId = "kitchen") =>
      evaluateTrust({ deviceId, firmware: { bytes }, external: bundle }, context(signers, withCa)).verdict;
    expect(eval_(firmware, [other])).toMatchObject({
      state: "unknown_signer",
      reason: expect.stringMatching(/identity does not match/),
    });
    // The pattern is anchored: a prefix of the identity is not enough.
    const prefix: ExternalSigner = {
      ...release,
      keyless: { ...release.keyless!, subjectPattern: "https://github\\.com/acme/firmware" },
    };
    expect(eval_(firmware, [prefix]).state).toBe("unknown_signer");
    expect(eval_(firmware, [{ ...release, devices: ["garage"] }]).state).toBe("unknown_signer");
    expect(eval_(Buffer.concat([firmware, Buffer.from("!")]), [release]).state).toBe("invalid");
    expect(eval_(firmware, [release], false)).toMatchObject({
      state: "unknown_signer",
      reason: expect.stringMatching(/CERTIFICATE_ERROR|not trusted/),
    });
  });

  it("verifies through `esphome-forge verify --keyless-issuer --keyless-identity`", async () => {
    const w = (n: string, d: string | Buffer) => (writeFileSync(join(h.dir, n), d), join(h.dir, n));
    const root = w(
      "root.json",
      JSON.stringify({
        ...h.engine.trustedRootJson(),
        certificateAuthorities: ciRoot.certificateAuthorities,
        ctlogs: ciRoot.ctlogs,
      }),
    );
    const args = [
      w("fw.bin", firmware),
      "--bundle",
      w("fw.bin.sigstore.json", JSON.stringify(bundle)),
      "--trusted-root",
      root,
      "--keyless-issuer",
      ISSUER,
      "--device",
      "kitchen",
      "--no-revocation-check",
      "--allow-rollback",
    ];
    const io = { out: () => {}, err: () => {}, now: h.clock.now };
    expect(await verifyCommand([...args, "--keyless-identity", "https://github\\.com/acme/firmware/.*"], io)).toBe(
      EXIT_VERIFIED,
    );
    expect(await verifyCommand([...args, "--keyless-identity", "https://github\\.com/evil/.*"], io)).toBe(
      EXIT_NOT_VERIFIED,
    );
  });
});
