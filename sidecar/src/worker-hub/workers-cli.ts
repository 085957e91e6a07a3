// `esphome-forge worker pair` and `esphome-forge workers list|approve|reject|revoke|roles`: the admin's
// side of enrolment and roles, over a running sidecar's REST API (admin token; see trust/cli/admin-rest.ts).
import { parseArgs } from "node:util";
import { WorkerRole, type PairingResponse, type Worker } from "@esphome-forge/shared";
import { adminConnection, call, TrustCliError } from "../trust/cli/admin-rest.js";
import { formatFingerprint } from "../trust/keys/keys.js";

export const WORKERS_USAGE = `Usage: esphome-forge workers COMMAND [--server URL] [--token TOKEN | --data-dir DIR] [--json]
  list                                  every worker: enrolment, key fingerprint, online
  approve ID [--fingerprint HEX]        approve a pending worker (or its new key); pass the fingerprint you compared
  reject ID                             reject a pending worker (or its new key)
  revoke ID --reason TEXT               revoke a worker: its credentials and keys, its connection closed at once
  roles ID ROLE[,ROLE]                  builder (compiles) and/or flasher (sends approved images to devices,
                                        never one it built); e.g. a worker on the devices' LAN: flasher
       esphome-forge worker pair [--host NAME]   a one-time code (10 minutes) and the command to run on the worker
`;

const COMMON = {
  server: { type: "string" },
  token: { type: "string" },
  "data-dir": { type: "string" },
  json: { type: "boolean", default: false },
} as const;

export async function pairCommand(argv: string[], out: (s: string) => void = (s) => console.log(s)): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: { ...COMMON, host: { type: "string" } } });
  const r = (await call(
    adminConnection(v),
    "POST",
    "/workers/pairing",
    v.host ? { host: v.host } : {},
  )) as PairingResponse;
  if (v.json) {
    out(JSON.stringify(r, null, 2));
    return 0;
  }
  out(`Pairing code valid until ${r.expiresAt}, for one worker. On the worker machine, run:\n`);
  out(`  ${r.command}\n`);
  out(`or as a container:\n\n  ${r.containerCommand}\n`);
  if (r.fingerprint) out(`The link pins this sidecar's TLS key: sha256 ${formatFingerprint(r.fingerprint)}`);
  out("The worker then waits for approval: compare its key fingerprint and run `esphome-forge workers approve ID`.");
  return 0;
}

function line(w: Worker): string {
  const fp = w.pendingKey?.fingerprint ?? w.keyFingerprint;
  const pending = w.pendingKey ? ` (${w.pendingKey.kind === "rotate" ? "new key" : "key"} waits for approval)` : "";
  const roles = (w.roles ?? ["builder"]).join(",");
  return `${w.id.padEnd(28)} ${w.name.padEnd(18)} ${w.enrolment.padEnd(9)} ${w.online ? "online " : "offline"} ${roles.padEnd(15)} ${fp ? formatFingerprint(fp) : "-"}${pending}`;
}

export async function workersCommand(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, fingerprint: { type: "string" }, reason: { type: "string" }, help: { type: "boolean" } },
  });
  const [sub, id] = positionals;
  if (v.help || !sub) {
    out(WORKERS_USAGE);
    return sub ? 0 : 2;
  }
  const c = adminConnection(v);
  const show = (w: unknown) => out(v.json ? JSON.stringify(w, null, 2) : line(w as Worker));
  const path = (verb: string) => `/workers/${encodeURIComponent(id ?? "")}/${verb}`;
  if (sub === "list") {
    const { workers } = (await call(c, "GET", "/workers")) as { workers: Worker[] };
    if (v.json) out(JSON.stringify(workers, null, 2));
    else for (const w of workers) out(line(w));
    return 0;
  }
  if (!id) throw new TrustCliError(`workers ${sub}: name the worker id (see \`esphome-forge workers list\`)`);
  if (sub === "approve") {
    const fingerprint = v.fingerprint?.toLowerCase().replace(/[\s:]/g, "");
    show(await call(c, "POST", path("approve"), fingerprint ? { fingerprint } : {}));
  } else if (sub === "reject") show(await call(c, "POST", path("reject"), {}));
  else if (sub === "roles") {
    const roles = (positionals[2] ?? "").split(",").map((r) => r.trim());
    const bad = roles.filter((r) => !WorkerRole.safeParse(r).success);
    if (bad.length || roles.length === 0)
      throw new TrustCliError(
        `workers roles: expected builder, flasher or both (comma-separated), got "${positionals[2] ?? ""}"`,
      );
    show(await call(c, "PATCH", `/workers/${encodeURIComponent(id)}`, { roles: [...new Set(roles)] }));
  } else if (sub === "revoke") {
    if (!v.reason) throw new TrustCliError("workers revoke: --reason is required");
    show(await call(c, "POST", path("revoke"), { reason: v.reason }));
  } else throw new TrustCliError(`workers: unknown command ${sub}\n${WORKERS_USAGE}`);
  return 0;
}
