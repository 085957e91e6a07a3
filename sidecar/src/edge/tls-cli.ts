// `esphome-forge tls show|rotate`: the sidecar's TLS key fingerprint (read from the data folder, no
// running sidecar needed) and its rotation (through the running sidecar, which first tells every
// connected worker the new fingerprint, so they keep working without being paired again).
import { existsSync, readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { TlsInfo } from "@esphome-forge/shared";
import { adminConnection, call, TrustCliError } from "../trust/cli/admin-rest.js";
import { formatFingerprint, keyFingerprint } from "../trust/keys/keys.js";
import { tlsCertPath } from "./tls-material.js";

export async function tlsCommand(argv: string[], out: (s: string) => void = (s) => console.log(s)): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { server: { type: "string" }, token: { type: "string" }, "data-dir": { type: "string" } },
  });
  const [sub] = positionals;
  if (sub === "show") {
    const dataDir = resolve(v["data-dir"] ?? process.env.FORGE_DATA_DIR ?? ".data");
    const file = tlsCertPath(join(dataDir, "trust", "keys"));
    if (!existsSync(file))
      throw new TrustCliError(`no TLS certificate in ${dataDir} yet (the sidecar makes it on its first start)`);
    const cert = new X509Certificate(readFileSync(file));
    const fp = keyFingerprint(cert.publicKey);
    out(
      `TLS key fingerprint (sha256): ${formatFingerprint(fp)}\n${fp}\nvalid until ${new Date(cert.validTo).toISOString()}`,
    );
    return 0;
  }
  if (sub === "rotate") {
    const r = (await call(adminConnection(v), "POST", "/tls/rotate", {})) as TlsInfo;
    out(`new TLS key fingerprint (sha256): ${formatFingerprint(r.fingerprint)}`);
    out(
      "Connected workers pinned it already; workers that were offline, and Home Assistant, need the new fingerprint (pair again / confirm in HA).",
    );
    return 0;
  }
  throw new TrustCliError("tls: expected `show` or `rotate`");
}
