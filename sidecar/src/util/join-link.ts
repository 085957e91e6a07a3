// The one line a worker needs to join a sidecar: `forge://HOST:PORT/PATH#CODE@FINGERPRINT`.
// `forge://` speaks TLS: with `@FINGERPRINT` the worker pins the sidecar's key (SHA-256 of its SPKI,
// hex; no CA); without it, the certificate is verified against the CAs the machine trusts (a user's
// own certificate, e.g. behind a reverse proxy). `forge+http://` is plain HTTP, which the worker takes
// only with `--insecure-transport` or to this machine.
export interface JoinLink {
  tls: boolean;
  host: string;
  port: number;
  /** Path prefix before /api/v1 (`/` normally). */
  path: string;
  code: string;
  fingerprint: string | null;
}

const CODE = /^[0-9a-f]{12}_[A-Za-z0-9_-]{22}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

export function formatJoinLink(l: JoinLink): string {
  const host = l.host.includes(":") && !l.host.startsWith("[") ? `[${l.host}]` : l.host;
  const path = l.path.endsWith("/") ? l.path : `${l.path}/`;
  return `${l.tls ? "forge" : "forge+http"}://${host}:${l.port}${path}#${l.code}${l.fingerprint ? `@${l.fingerprint}` : ""}`;
}

export function parseJoinLink(text: string): JoinLink {
  const bad = (why: string) =>
    new Error(
      `not a join link (${why}): expected forge://HOST:PORT/#CODE@FINGERPRINT, as \`esphome-forge worker pair\` prints`,
    );
  const m = /^(forge|forge\+http):\/\/(.*)$/.exec(text.trim());
  if (!m) throw bad("scheme");
  let url: URL;
  try {
    url = new URL(`${m[1] === "forge" ? "https" : "http"}://${m[2]}`);
  } catch {
    throw bad("address");
  }
  const [code, fingerprint = null] = url.hash.slice(1).split("@") as [string, string?];
  if (!CODE.test(code)) throw bad("pairing code");
  if (fingerprint !== null && !FINGERPRINT.test(fingerprint.toLowerCase())) throw bad("fingerprint");
  return {
    tls: m[1] === "forge",
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || (m[1] === "forge" ? 443 : 80)),
    path: url.pathname || "/",
    code,
    fingerprint: fingerprint?.toLowerCase() ?? null,
  };
}

/** The sidecar's base URL a joined worker keeps: `https://HOST:PORT/PATH`. */
export function serverUrlOf(l: JoinLink): string {
  const host = l.host.includes(":") ? `[${l.host}]` : l.host;
  return `${l.tls ? "https" : "http"}://${host}:${l.port}${l.path === "/" ? "" : l.path.replace(/\/$/, "")}`;
}
