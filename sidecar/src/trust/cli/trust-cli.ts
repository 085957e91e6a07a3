// `esphome-forge trust …`: the content-trust admin verbs over a running sidecar's REST API (admin
// token): status, keys, key rotation and retirement, revoke, and export / import of the signed list.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { adminConnection, call, TrustCliError } from "./admin-rest.js";

export { TrustCliError };

export const TRUST_USAGE = `Usage: esphome-forge trust COMMAND [--server URL] [--token TOKEN | --data-dir DIR] [--json]
  status [--full]                policy, revocation list freshness, log consistency check (rechecked now from
                                 where the last clean check ended; --full rehashes the whole log)
  keys                           enrolled keys (workers, sidecar, log, revocation, external)
  rotate sidecar|log|revocation  rotate one of the sidecar's keys (old signatures stay verifiable)
  retire HINT                    retire a key, e.g. a reinstalled worker's old one
  revoke (--artifact SHA256 | --config SHA256 | --signer KEYHINT | --worker ID | --esphome-version FROM..TO)
         --reason TEXT [--since ISO-TIME] [--valid-days N]
                                 add entries to the signed revocation list (publishes the next version)
  export [--out FILE]            the current signed revocation list (a Sigstore bundle)
  import FILE                    import a signed list (verified with the pinned revocation key)
The server defaults to $FORGE_SERVER or http://127.0.0.1:7052; the token to $FORGE_ADMIN_TOKEN, else the
admin-token file in --data-dir ($FORGE_DATA_DIR or ./.data).
`;

function revocationEntries(v: Record<string, string | boolean | undefined>): Record<string, unknown>[] {
  const reason = v.reason as string | undefined;
  if (!reason) throw new TrustCliError("revoke: --reason is required");
  const common = { reason, ...(v.since ? { since: v.since } : {}) };
  const out: Record<string, unknown>[] = [];
  if (v.artifact) out.push({ kind: "artifact", sha256: v.artifact, ...common });
  if (v.config) out.push({ kind: "config", sha256: v.config, ...common });
  if (v.signer) out.push({ kind: "signer", keyHint: v.signer, ...common });
  if (v.worker) out.push({ kind: "worker", workerId: v.worker, ...common });
  if (v["esphome-version"]) {
    const [introduced, fixed] = String(v["esphome-version"]).split("..");
    out.push({
      kind: "esphome_version",
      ...(introduced ? { introduced } : {}),
      ...(fixed ? { fixed } : {}),
      ...common,
    });
  }
  if (out.length === 0)
    throw new TrustCliError(
      "revoke: name what to revoke (--artifact, --config, --signer, --worker or --esphome-version)",
    );
  return out;
}

/** What the check covered: the whole log, or the entries since the last clean check. */
function auditScope(a: { scope?: string; fromTreeSize?: number } | null): string {
  if (a?.scope === "incremental") return ` (entries from ${a.fromTreeSize ?? 0} on; --full for all)`;
  return a?.scope === "full" ? " (full)" : "";
}

type Key = {
  hint: string;
  role: string;
  owner: string;
  enrolledAt: string;
  retiredAt: string | null;
  revokedAt: string | null;
};

function keyLine(k: Key): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt}` : k.retiredAt ? `retired ${k.retiredAt}` : "active";
  return `${k.role.padEnd(10)} ${k.owner.padEnd(24)} ${k.hint}  ${state}`;
}

export async function trustCommand(argv: string[], out: (s: string) => void = (s) => console.log(s)): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      artifact: { type: "string" },
      config: { type: "string" },
      signer: { type: "string" },
      worker: { type: "string" },
      "esphome-version": { type: "string" },
      reason: { type: "string" },
      since: { type: "string" },
      "valid-days": { type: "string" },
      out: { type: "string" },
      full: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const [sub, arg] = positionals;
  if (v.help || !sub) {
    out(TRUST_USAGE);
    return v.help ? 0 : 2;
  }
  const c = adminConnection(v);
  const print = (value: unknown, text: () => string) => out(v.json ? JSON.stringify(value, null, 2) : text());

  switch (sub) {
    case "status": {
      const s = (await call(c, "GET", `/trust/status?${v.full ? "full" : "recheck"}=true`)) as {
        policy: string;
        revocations: { version: number; expiresAt: string; expired: boolean; entries: number } | null;
        revocationError: string | null;
        log: {
          size: number;
          audit: { ok: boolean; problems: string[]; scope?: string; fromTreeSize?: number } | null;
        };
      };
      print(s, () => {
        const r = s.revocations;
        const lines = [
          `policy:       ${s.policy}`,
          `revocations:  ${r ? `v${r.version}, ${r.entries} entr${r.entries === 1 ? "y" : "ies"}, ${r.expired ? "EXPIRED" : "expires"} ${r.expiresAt}` : "none published"}`,
          `log:          ${s.log.size} entries, consistency check ${s.log.audit?.ok ? "passed" : "FAILED"}${auditScope(s.log.audit)}`,
        ];
        if (s.revocationError) lines.push(`revocation list problem: ${s.revocationError}`);
        for (const p of s.log.audit?.problems ?? []) lines.push(`  problem: ${p}`);
        return lines.join("\n");
      });
      return s.log.audit?.ok === false || s.revocationError ? 1 : 0;
    }
    case "keys": {
      const r = (await call(c, "GET", "/trust/keys")) as { keys: Key[] };
      print(r, () => r.keys.map(keyLine).join("\n"));
      return 0;
    }
    case "rotate": {
      if (!arg || !["sidecar", "log", "revocation"].includes(arg))
        throw new TrustCliError("rotate: expected sidecar, log or revocation");
      const r = (await call(c, "POST", "/trust/keys/rotate", { role: arg })) as { current: Key; retired: Key[] };
      print(r, () =>
        [
          `new ${arg} key: ${r.current.hint}`,
          ...r.retired.map((k) => `retired: ${k.hint} (its signatures stay verifiable)`),
        ].join("\n"),
      );
      return 0;
    }
    case "retire": {
      if (!arg) throw new TrustCliError("retire: expected a key hint (see `trust keys`)");
      const k = (await call(c, "POST", `/trust/keys/${encodeURIComponent(arg)}/retire`)) as Key;
      print(k, () => keyLine(k));
      return 0;
    }
    case "revoke": {
      const validForDays = v["valid-days"] !== undefined ? Number(v["valid-days"]) : undefined;
      const r = (await call(c, "POST", "/trust/revocations", {
        entries: revocationEntries(v),
        ...(validForDays !== undefined ? { validForDays } : {}),
      })) as {
        version: number;
        expiresAt: string;
        entries: unknown[];
      };
      print(
        r,
        () =>
          `published revocation list v${r.version} (${r.entries.length} entries, expires ${r.expiresAt}); every device's trust state was re-evaluated`,
      );
      return 0;
    }
    case "export": {
      const r = (await call(c, "GET", "/trust/revocations")) as { version: number; bundle: unknown };
      const text = JSON.stringify(r.bundle, null, 2) + "\n";
      if (v.out) {
        writeFileSync(v.out, text);
        out(`wrote revocation list v${r.version} to ${v.out}`);
      } else process.stdout.write(text);
      return 0;
    }
    case "import": {
      if (!arg) throw new TrustCliError("import: expected the file written by `trust export`");
      let bundle: unknown;
      try {
        bundle = JSON.parse(readFileSync(arg, "utf8"));
      } catch (err) {
        throw new TrustCliError(`import: cannot read ${arg}: ${(err as Error).message}`);
      }
      const r = (await call(c, "POST", "/trust/revocations/import", bundle)) as { changed: boolean; version: number };
      print(r, () =>
        r.changed ? `imported revocation list v${r.version}` : `revocation list v${r.version} is already current`,
      );
      return 0;
    }
    default:
      throw new TrustCliError(`trust: unknown command "${sub}"\n${TRUST_USAGE}`);
  }
}
