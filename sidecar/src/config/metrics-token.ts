// The read-only metrics token: lets Prometheus or KEDA scrape GET /api/v1/metrics without the
// admin token. Optional (without it only the admin token reads metrics); from
// `--metrics-token-file FILE`, FORGE_METRICS_TOKEN_FILE or FORGE_METRICS_TOKEN, with the admin
// token's rules (32+ characters, no whitespace), and never equal to the admin token.
import { AdminTokenError, checkAdminToken, readAdminTokenFile, type AdminTokenChoice } from "./admin-token.js";

const WHAT = "metrics token";

export function metricsTokenFromArgs(file: string | undefined, env: NodeJS.ProcessEnv): AdminTokenChoice | null {
  if (file !== undefined)
    return { token: readAdminTokenFile(file, file, WHAT), source: `--metrics-token-file ${file}` };
  if (env.FORGE_METRICS_TOKEN_FILE !== undefined) {
    const f = env.FORGE_METRICS_TOKEN_FILE;
    return { token: readAdminTokenFile(f, f, WHAT), source: `FORGE_METRICS_TOKEN_FILE (${f})` };
  }
  if (env.FORGE_METRICS_TOKEN !== undefined)
    return {
      token: checkAdminToken(env.FORGE_METRICS_TOKEN, "FORGE_METRICS_TOKEN", WHAT),
      source: "FORGE_METRICS_TOKEN",
    };
  return null;
}

/** The metrics token to use, checked against the admin token. */
export function resolveMetricsToken(choice: AdminTokenChoice | null | undefined, adminToken: string): string | null {
  if (!choice) return null;
  const token = checkAdminToken(choice.token, choice.source, WHAT);
  if (token === adminToken)
    throw new AdminTokenError(
      `the metrics token from ${choice.source} is the admin token; give the scraper its own token (it can only read metrics)`,
    );
  return token;
}
