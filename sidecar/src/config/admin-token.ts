// Where the admin token comes from, and the rules it must meet. Sources, first match wins:
// `--admin-token-file FILE`, `--admin-token TOKEN` (visible in the process list: discouraged),
// FORGE_ADMIN_TOKEN_FILE, FORGE_ADMIN_TOKEN, else `<data-dir>/admin-token`, generated on first
// start. The token is shown only when it is generated; later starts say where it is.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { ForgeError } from "../util/errors.js";

/** A token an attacker could guess is worse than none: 32 characters at least. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

export class AdminTokenError extends ForgeError {
  readonly code = "admin_token";
  override readonly name = "AdminTokenError";
}

export interface AdminTokenChoice {
  token: string;
  /** Where it came from, for the start-up line (never the token itself). */
  source: string;
}

export interface ResolvedAdminToken extends AdminTokenChoice {
  /** True when this start generated it (then, and only then, it is printed). */
  created: boolean;
}

/** Checks a given token; throws with a message naming its source (and which token it is). */
export function checkAdminToken(token: string, source: string, what = "admin token"): string {
  if (token.length === 0) throw new AdminTokenError(`the ${what} from ${source} is empty`);
  if (/\s/.test(token)) throw new AdminTokenError(`the ${what} from ${source} contains whitespace`);
  if (token.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new AdminTokenError(
      `the ${what} from ${source} is ${token.length} characters; use at least ${MIN_ADMIN_TOKEN_LENGTH} ` +
        "(e.g. `openssl rand -base64 32`), or leave it unset to have one generated",
    );
  return token;
}

/** Reads a token file (its first line, trimmed); throws with the reason when it cannot. */
export function readAdminTokenFile(file: string, source = file, what = "admin token"): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new AdminTokenError(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
  return checkAdminToken((text.split(/\r?\n/)[0] ?? "").trim(), source, what);
}

/** The command line and environment's choice, or null to use the data folder's file. */
export function adminTokenFromArgs(
  flags: { token?: string | undefined; file?: string | undefined },
  env: NodeJS.ProcessEnv,
): AdminTokenChoice | null {
  if (flags.file !== undefined && flags.token !== undefined)
    throw new AdminTokenError("pass either --admin-token-file or --admin-token, not both");
  if (flags.file !== undefined)
    return { token: readAdminTokenFile(flags.file), source: `--admin-token-file ${flags.file}` };
  if (flags.token !== undefined)
    return { token: checkAdminToken(flags.token, "--admin-token"), source: "--admin-token" };
  if (env.FORGE_ADMIN_TOKEN_FILE !== undefined)
    return {
      token: readAdminTokenFile(env.FORGE_ADMIN_TOKEN_FILE),
      source: `FORGE_ADMIN_TOKEN_FILE (${env.FORGE_ADMIN_TOKEN_FILE})`,
    };
  if (env.FORGE_ADMIN_TOKEN !== undefined)
    return { token: checkAdminToken(env.FORGE_ADMIN_TOKEN, "FORGE_ADMIN_TOKEN"), source: "FORGE_ADMIN_TOKEN" };
  return null;
}

/** A new admin token. Its prefix names it (as `efw_` does a worker's) and keeps it from starting with "-",
 * which a command line would read as an option: base64url has "-" in its alphabet. */
export function newAdminToken(): string {
  return `efa_${randomBytes(32).toString("base64url")}`;
}

/** The given token, else the data folder's file, else a new random one written there (0600). */
export function resolveAdminToken(given: AdminTokenChoice | null, file: string): ResolvedAdminToken {
  if (given) return { token: checkAdminToken(given.token, given.source), source: given.source, created: false };
  if (existsSync(file)) return { token: readAdminTokenFile(file), source: file, created: false };
  const token = newAdminToken();
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return { token, source: file, created: true };
}
