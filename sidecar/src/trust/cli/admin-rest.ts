// The admin CLIs (`trust`, `ota-keys`) talk to a running sidecar's REST API: where it is
// (--server, $FORGE_SERVER, else http://127.0.0.1:7052) and the admin token (--token,
// $FORGE_ADMIN_TOKEN, else the token file in --data-dir / $FORGE_DATA_DIR / ./.data).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { dataPaths } from "../../config/paths.js";

export class TrustCliError extends Error {
  readonly code = "trust_cli";
}

export interface Conn {
  server: string;
  token: string;
}

export function adminConnection(v: { server?: string; token?: string; "data-dir"?: string }): Conn {
  const token = v.token ?? process.env.FORGE_ADMIN_TOKEN ?? readTokenFile(v["data-dir"]);
  return { server: v.server ?? process.env.FORGE_SERVER ?? "http://127.0.0.1:7052", token };
}

/** One request; the JSON answer (or text, for non-JSON responses), or a TrustCliError with the server's message. */
export async function call(c: Conn, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${c.server.replace(/\/+$/, "")}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${c.token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  }).catch((err: unknown) => {
    throw new TrustCliError(`cannot reach the sidecar at ${c.server}: ${(err as Error).message}`);
  });
  const text = await res.text();
  const isJson = (res.headers.get("content-type") ?? "").includes("json");
  let json: unknown = null;
  try {
    json = text && isJson ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const msg =
      (json as { error?: { message?: string } } | null)?.error?.message ?? (text.slice(0, 300) || res.statusText);
    throw new TrustCliError(`${method} ${path}: ${res.status} ${msg}`);
  }
  return isJson ? json : text;
}

function readTokenFile(dataDir: string | undefined): string {
  const file = dataPaths(resolve(dataDir ?? process.env.FORGE_DATA_DIR ?? ".data")).adminTokenFile;
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    throw new TrustCliError(
      `no admin token: pass --token, set FORGE_ADMIN_TOKEN, or point --data-dir at the sidecar's data folder (${file} not readable)`,
    );
  }
}
