// The one list of environment variables that reach build code: ESPHome and the stand-in build
// command on every worker (each phase and the version probe), pip installing an ESPHome version,
// the inventory's own `esphome config`, and the sidecar's built-in local worker process. Everything
// else the parent holds — FORGE_WORKER_TOKEN, FORGE_ADMIN_TOKEN, cloud credentials exported in a
// shell — stays out, so an external component or a `!env_var` in a device YAML cannot read it.
//
// Allowed: what a shell, Python, PlatformIO and ESPHome need to run and reach the network.
const EXACT = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "FORCE_COLOR",
  // downloads (PlatformIO packages, pip, git): proxies and custom certificate authorities
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
]);
/**
 * Whole families: locale, ESPHome's and PlatformIO's own settings, the Python interpreter's and
 * pip's, and the test stand-in's knobs (`FORGE_STANDIN_*`, see test-support/standin-esphome.mjs).
 */
const PREFIXES = ["LC_", "ESPHOME_", "PLATFORMIO_", "PYTHON", "PIP_", "FORGE_STANDIN_"];

/** A variable name an operator may add with `--build-env` (never Forge's own `FORGE_*`). */
const EXTRA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function passesToBuilds(name: string): boolean {
  return EXACT.has(name) || PREFIXES.some((p) => name.startsWith(p));
}

/** Why `name` cannot be passed to builds with `--build-env`, or null when it can. */
export function extraBuildEnvProblem(name: string): string | null {
  if (!EXTRA_NAME.test(name)) return `${JSON.stringify(name)} is not an environment variable name`;
  if (name.startsWith("FORGE_")) return `${name}: Forge's own FORGE_* settings and tokens never reach builds`;
  return null;
}

/**
 * The environment for build code: the allowed variables of `from`, the operator's extra names
 * (`--build-env`), then `set` (per-job values such as FORGE_PHASE) on top.
 */
export function buildEnv(
  from: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
  set: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && (passesToBuilds(k) || (extra.includes(k) && extraBuildEnvProblem(k) === null))) env[k] = v;
  }
  return { ...env, ...set };
}
