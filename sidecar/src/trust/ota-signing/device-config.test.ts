import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { forgeSignsFor, signedOtaFromConfig } from "./device-config.js";
import { signedOtaYaml } from "./device-yaml.js";

const D1 = "1".repeat(64);
const D2 = "2".repeat(64);

describe("signedOtaFromConfig", () => {
  it("reads the block Forge writes, and says whether Forge can sign for the device", () => {
    const y = signedOtaYaml({
      keys: [{ digest: D1 }],
      downgradeProtection: { projectName: "a.b", projectVersion: "1.2.3" },
    });
    const d = signedOtaFromConfig({ ...parse(y.yaml), wifi: {} });
    expect(d).toEqual({
      scheme: "rsa3072",
      externalSigning: true,
      verificationKeys: [D1],
      downgradeProtection: true,
      projectVersion: "1.2.3",
    });
    expect(forgeSignsFor(d!, [D1, D2])).toEqual({ ok: true, trusted: [D1], missing: [D2], reason: null });
    expect(forgeSignsFor(d!, [D2])).toMatchObject({
      ok: false,
      reason: "none of Forge's active keys is in verification_keys",
    });
  });

  it("no block, a bare block, build-time signing and other schemes", () => {
    expect(signedOtaFromConfig({ esp8266: { board: "d1" } })).toBeNull();
    expect(signedOtaFromConfig({ esp32: { framework: { advanced: {} } } })).toBeNull();
    const bare = signedOtaFromConfig({ esp32: { framework: { advanced: { signed_ota_verification: null } } } })!;
    expect(bare).toMatchObject({ scheme: "rsa3072", externalSigning: true, verificationKeys: [] });
    expect(forgeSignsFor(bare, [D1]).reason).toMatch(/no verification_keys/);
    const own = signedOtaFromConfig({
      esp32: { framework: { advanced: { signed_ota_verification: { signing_key: "k.pem" } } } },
    })!;
    expect(forgeSignsFor(own, [D1]).reason).toMatch(/signs at build time/);
    const ecdsa = signedOtaFromConfig({
      esp32: { framework: { advanced: { signed_ota_verification: { signing_scheme: "ECDSA256" } } } },
    })!;
    expect(forgeSignsFor(ecdsa, [D1]).reason).toMatch(/ecdsa256: Forge signs rsa3072 only/);
  });
});
