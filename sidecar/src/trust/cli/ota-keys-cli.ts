// `esphome-forge ota-keys …`: the device signing keys for ESPHome's signed OTA, over a running
// sidecar's REST API (admin token). Private keys never leave the sidecar; this shows and downloads
// public keys and digests, and writes the YAML a device needs.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { OtaKey } from "@esphome-forge/shared";
import { adminConnection, call, TrustCliError } from "./admin-rest.js";

export const OTA_KEYS_USAGE = `Usage: esphome-forge ota-keys COMMAND [--server URL] [--token TOKEN | --data-dir DIR] [--json]
  list                           device signing keys (digest, state, name)
  create [--name NAME]           a new RSA-3072 key, active at once (at most 3 active)
  rotate [--name NAME]           add a key next to the active ones and print the steps to finish
  retire DIGEST [--force]        stop signing with a key (the last active one needs --force)
  public DIGEST [--out FILE]     the public key (PEM), e.g. for verification_keys or espsecure
  yaml [--pem] [--variant V] [--project NAME --project-version V] [--key DIGEST]… [--out-dir DIR]
                                 the YAML that makes a device accept only images signed by these keys
                                 (default: the active keys; --project turns on downgrade protection;
                                 --out-dir writes forge-signed-ota.yaml and the PEM files there)
DIGEST may be a unique prefix of 8 or more hex digits.
`;

function keyLine(k: OtaKey): string {
  const state = k.state === "active" ? "active " : `retired ${k.retiredAt}`;
  return `${k.digest}  ${state}  ${k.name}  (created ${k.createdAt})`;
}

export async function otaKeysCommand(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      name: { type: "string" },
      force: { type: "boolean", default: false },
      out: { type: "string" },
      "out-dir": { type: "string" },
      pem: { type: "boolean", default: false },
      variant: { type: "string" },
      project: { type: "string" },
      "project-version": { type: "string" },
      key: { type: "string", multiple: true },
      help: { type: "boolean", default: false },
    },
  });
  const [sub, arg] = positionals;
  if (v.help || !sub) {
    out(OTA_KEYS_USAGE);
    return v.help ? 0 : 2;
  }
  const c = adminConnection(v);
  const print = (value: unknown, text: () => string) => out(v.json ? JSON.stringify(value, null, 2) : text());
  const named = v.name !== undefined ? { name: v.name } : {};

  switch (sub) {
    case "list": {
      const r = (await call(c, "GET", "/trust/ota-keys")) as { keys: OtaKey[]; maxActive: number };
      print(r, () => (r.keys.length ? r.keys.map(keyLine).join("\n") : "no device signing keys (ota-keys create)"));
      return 0;
    }
    case "create": {
      const k = (await call(c, "POST", "/trust/ota-keys", named)) as OtaKey;
      print(k, () => `created ${keyLine(k)}`);
      return 0;
    }
    case "rotate": {
      const r = (await call(c, "POST", "/trust/ota-keys/rotate", named)) as {
        added: OtaKey;
        active: OtaKey[];
        steps: string[];
      };
      print(r, () =>
        [
          `added ${keyLine(r.added)}`,
          `images are now signed by ${r.active.length} keys. Next:`,
          ...r.steps.map((s, i) => `  ${i + 1}. ${s}`),
        ].join("\n"),
      );
      return 0;
    }
    case "retire": {
      if (!arg) throw new TrustCliError("retire: expected a key digest (see `ota-keys list`)");
      const k = (await call(c, "POST", `/trust/ota-keys/${encodeURIComponent(arg)}/retire`, {
        ...(v.force ? { force: true } : {}),
      })) as OtaKey;
      print(k, () => keyLine(k));
      return 0;
    }
    case "public": {
      if (!arg) throw new TrustCliError("public: expected a key digest (see `ota-keys list`)");
      const pem = (await call(c, "GET", `/trust/ota-keys/${encodeURIComponent(arg)}/public.pem`)) as string;
      if (v.out) {
        writeFileSync(v.out, pem);
        out(`wrote ${v.out}`);
      } else process.stdout.write(pem);
      return 0;
    }
    case "yaml": {
      if ((v.project === undefined) !== (v["project-version"] === undefined))
        throw new TrustCliError("yaml: --project and --project-version go together (downgrade protection)");
      const r = (await call(c, "POST", "/trust/ota-keys/yaml", {
        ...(v.key?.length ? { keys: v.key } : {}),
        ...(v.pem ? { keyForm: "pem" } : {}),
        ...(v.variant ? { variant: v.variant } : {}),
        ...(v.project ? { downgradeProtection: { projectName: v.project, projectVersion: v["project-version"] } } : {}),
      })) as { yaml: string; files: { path: string; content: string }[] };
      const dir = v["out-dir"];
      if (dir) {
        for (const f of [{ path: "forge-signed-ota.yaml", content: r.yaml }, ...r.files]) {
          if (!/^[\w.-]+(\/[\w.-]+)*$/.test(f.path) || f.path.split("/").includes(".."))
            throw new TrustCliError(`yaml: refusing to write ${JSON.stringify(f.path)} (not a plain relative path)`);
          const target = join(dir, f.path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, f.content);
          out(`wrote ${target}`);
        }
        out("include it in a device: packages: { forge_signed_ota: !include forge-signed-ota.yaml }");
      } else if (v.json) out(JSON.stringify(r, null, 2));
      else {
        process.stdout.write(r.yaml);
        for (const f of r.files) out(`# --- ${f.path} ---\n${f.content.trimEnd()}`);
      }
      return 0;
    }
    default:
      throw new TrustCliError(`ota-keys: unknown command "${sub}"\n${OTA_KEYS_USAGE}`);
  }
}
