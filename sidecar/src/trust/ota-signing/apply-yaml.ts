// Puts the signed-OTA block into a device's own YAML (the "apply" button of the YAML helper): sets
// `esp32: framework: advanced: signed_ota_verification:` to rsa3072 with Forge's active key digests,
// keeps the rest of the file — comments, order, other settings — as it was, adds the original ESP32's
// chip revision when the config names that variant, and turns on downgrade protection when asked (only
// with a dotted-numeric `esphome: project: version:`). A config without an `esp32:` mapping (another
// platform, or ESP32 settings in a package) is refused with the reason: the block is then copied by hand.
import { isMap, parseDocument, Scalar } from "yaml";
import { DeviceYamlError } from "./device-yaml.js";
import { DOTTED_NUMERIC } from "./project-version.js";
import { SIG_BLOCK_MAX } from "./sbv2-block.js";

const ECC_ONLY = new Set(["esp32c2", "esp32c61"]);
const ADVANCED = ["esp32", "framework", "advanced"];

/** A double-quoted scalar: a 64-hex digest of digits only would otherwise read back as a number. */
function quoted(value: string): Scalar {
  const s = new Scalar(value);
  s.type = Scalar.QUOTE_DOUBLE;
  return s;
}

export interface MergedSignedOta {
  content: string;
  changed: boolean;
  notes: string[];
}

export function mergeSignedOta(
  text: string,
  /** `variant`: the chip as ESPHome resolved it (from the board), when the file does not name it. */
  o: { digests: string[]; downgradeProtection?: boolean; variant?: string | null },
): MergedSignedOta {
  if (o.digests.length === 0) throw new DeviceYamlError("no active device signing key: create one first");
  if (o.digests.length > SIG_BLOCK_MAX) throw new DeviceYamlError(`at most ${SIG_BLOCK_MAX} verification keys`);
  // ESPHome tags (!secret, !include, !lambda, …) are kept as written; they need no resolving here.
  const doc = parseDocument(text, { logLevel: "error" });
  if (doc.errors.length) throw new DeviceYamlError(`the config is not valid YAML: ${doc.errors[0]!.message}`);
  const esp32 = doc.get("esp32");
  if (!isMap(esp32))
    throw new DeviceYamlError(
      "the config has no esp32: mapping of its own (another platform, or ESP32 settings in a package): add the block by hand",
    );
  const notes: string[] = [];
  const variant = String(esp32.get("variant") ?? o.variant ?? "")
    .toLowerCase()
    .replace(/-/g, "");
  if (ECC_ONLY.has(variant))
    throw new DeviceYamlError(`${variant} has no RSA secure-boot support; signed OTA with rsa3072 cannot work there`);
  const framework = esp32.get("framework");
  if (framework !== undefined && framework !== null && !isMap(framework))
    throw new DeviceYamlError("esp32: framework: is not a mapping; add the block by hand");

  const sov = doc.createNode({ signing_scheme: "rsa3072", verification_keys: o.digests.map(quoted) });
  sov.commentBefore = " Forge for ESPHome: only images signed by these keys (held by the Forge sidecar) are accepted";
  doc.setIn([...ADVANCED, "signed_ota_verification"], sov);

  if (variant === "esp32" && !doc.hasIn([...ADVANCED, "minimum_chip_revision"])) {
    doc.setIn([...ADVANCED, "minimum_chip_revision"], quoted("3.0"));
    notes.push('set minimum_chip_revision: "3.0" (RSA signature blocks need an ESP32 of revision 3.0 or newer)');
  } else if (!variant) {
    notes.push('on the original ESP32 (not S2/S3/C3/C5/C6/H2/P4), also set minimum_chip_revision: "3.0"');
  }

  if (o.downgradeProtection) {
    const version = doc.getIn(["esphome", "project", "version"]);
    const v = version === undefined || version === null ? "" : String(version);
    if (!DOTTED_NUMERIC.test(v))
      throw new DeviceYamlError(
        `downgrade protection needs esphome: project: with a dotted-numeric version like 1.2.3 (the config has ${v ? JSON.stringify(v) : "none"})`,
      );
    doc.setIn([...ADVANCED, "enable_ota_downgrade_protection"], true);
  }
  const content = doc.toString();
  return { content, changed: content !== text, notes };
}
