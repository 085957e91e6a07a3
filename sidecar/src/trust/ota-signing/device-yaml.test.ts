// The generated YAML's shape and refusals; the real `esphome config` accepts it in
// sidecar/test/esphome-signed-ota.test.ts.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DeviceYamlError, signedOtaYaml } from "./device-yaml.js";

const D1 = "a".repeat(64);
const D2 = "0123456789abcdef".repeat(4);

describe("signedOtaYaml", () => {
  it("writes the rsa3072 block with Forge's digests, quoted, and downgrade protection with its project", () => {
    const out = signedOtaYaml({
      keys: [{ digest: D1, name: "main" }, { digest: D2.toUpperCase() }],
      downgradeProtection: { projectName: "acme.kitchen", projectVersion: "1.4.0" },
      variant: "esp32s3",
    });
    expect(out.files).toEqual([]);
    expect(out.yaml).toContain(`- "${D1}"  # main (Forge device signing key)`);
    expect(parse(out.yaml)).toEqual({
      esp32: {
        framework: {
          advanced: {
            signed_ota_verification: { signing_scheme: "rsa3072", verification_keys: [D1, D2] },
            enable_ota_downgrade_protection: true,
          },
        },
      },
      esphome: { project: { name: "acme.kitchen", version: "1.4.0" } },
    });
  });

  it("the PEM form lists key files and returns their contents; the original ESP32 gets its chip revision", () => {
    const out = signedOtaYaml({
      keys: [{ digest: D1, publicKeyPem: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n" }],
      keyForm: "pem",
      variant: "ESP32",
    });
    expect(out.files).toEqual([
      { path: `forge-ota-keys/${D1.slice(0, 16)}.pem`, content: expect.stringContaining("PUBLIC KEY") },
    ]);
    const adv = parse(out.yaml).esp32.framework.advanced;
    expect(adv.signed_ota_verification.verification_keys).toEqual([`forge-ota-keys/${D1.slice(0, 16)}.pem`]);
    expect(adv.minimum_chip_revision).toBe("3.0");
    expect(adv.enable_ota_downgrade_protection).toBeUndefined();
    expect(parse(out.yaml).esphome).toBeUndefined();
  });

  it.each([
    [{ keys: [] }, /1 to 3 keys, got 0/],
    [{ keys: [{ digest: D1 }, { digest: D2 }, { digest: "b".repeat(64) }, { digest: "c".repeat(64) }] }, /got 4/],
    [{ keys: [{ digest: "abc" }] }, /not 64 hex/],
    [{ keys: [{ digest: D1 }, { digest: D1.toUpperCase() }] }, /listed twice/],
    [{ keys: [{ digest: D1 }], variant: "esp32c2" }, /no RSA secure-boot support/],
    [{ keys: [{ digest: D1 }], keyForm: "pem" as const }, /needs the public key/],
    [
      { keys: [{ digest: D1 }], downgradeProtection: { projectName: "kitchen", projectVersion: "1.0" } },
      /namespace\.name/,
    ],
    [
      { keys: [{ digest: D1 }], downgradeProtection: { projectName: "a.b", projectVersion: "1.0-beta" } },
      /dotted-numeric/,
    ],
  ])("refuses %j", (opts, why) => {
    expect(() => signedOtaYaml(opts)).toThrow(DeviceYamlError);
    expect(() => signedOtaYaml(opts)).toThrow(why);
  });
});
