// `--server` is the sidecar's base URL (http or https, optionally with a path prefix); the
// worker socket is `<server>/api/v1/worker` over ws/wss and firmware comes from `<server>/api/v1/…`.

export interface ServerUrls {
  wsUrl: string;
  /** Always ends with `/`, so `new URL("api/v1/…", httpBase)` keeps any path prefix. */
  httpBase: string;
}

export function serverUrls(server: string): ServerUrls {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new Error(`--server ${JSON.stringify(server)} is not a URL (expected e.g. http://192.168.1.10:6055)`);
  }
  const httpProtocol = { "http:": "http:", "https:": "https:", "ws:": "http:", "wss:": "https:" }[u.protocol];
  if (!httpProtocol) throw new Error(`--server must be an http:// or https:// URL, got ${u.protocol}//`);
  const base = new URL(u.href);
  base.protocol = httpProtocol;
  base.search = "";
  base.hash = "";
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const ws = new URL("api/v1/worker", base);
  ws.protocol = httpProtocol === "https:" ? "wss:" : "ws:";
  return { wsUrl: ws.href, httpBase: base.href };
}
