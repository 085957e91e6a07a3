// Home Assistant's ingress: HA shows the dashboard in its sidebar by proxying the browser's
// requests, through HA and then the Supervisor, to a port of the add-on. HA has already signed
// the user in; the Supervisor strips any user headers the browser sent and adds its own
// (X-Remote-User-Id / -Name / -Display-Name), with X-Ingress-Path naming the URL prefix the
// browser sees (`/api/hassio_ingress/<session token>`).
//
// Those headers are worth nothing from anyone else, so they are believed only on the separate
// ingress listener, and there only from the configured proxy address (the Supervisor is
// 172.30.32.2 on HA's internal network). Everything else on that listener is refused before any
// handler, static files included; the API port never looks at these headers at all.
//
// The browser's Host is HA's own name (the proxies pass it through), so the Host allow-list does
// not apply here: the proxy address check is the stronger one. A browser's Origin must still
// match the host it used to reach HA, which HA forwards as X-Forwarded-Host.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { clientAddress } from "./client-address.js";
import type { UpgradeRefusal, UpgradeScreen } from "./upgrade-gate.js";

/** The Supervisor's address on Home Assistant's internal network, where ingress requests come from. */
export const SUPERVISOR_INGRESS_SOURCE = "172.30.32.2";

const INGRESS_PATH = /^\/api\/hassio_ingress\/[A-Za-z0-9_-]{8,128}$/;
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface IngressUser {
  id: string;
  name: string | null;
  displayName: string | null;
}

export interface IngressIdentity {
  user: IngressUser;
  /** The URL prefix the browser sees, e.g. `/api/hassio_ingress/Ab3…`. */
  path: string;
}

export type IngressCheck = { ok: true; identity: IngressIdentity } | { ok: false; message: string };

export class IngressPolicy implements UpgradeScreen {
  private readonly source: string;

  /** `source`: the one proxy address whose ingress headers are believed. */
  constructor(source: string) {
    if (isIP(source) === 0) throw new Error(`the ingress source must be an IP address, got ${JSON.stringify(source)}`);
    this.source = clientAddress({ remoteAddress: source.toLowerCase() });
  }

  /** Who the ingress proxy says this request is for, or why it is not an ingress request. */
  identify(req: IncomingMessage): IngressCheck {
    const from = clientAddress(req.socket);
    if (from !== this.source)
      return { ok: false, message: `this port answers only Home Assistant's ingress proxy, not ${from}` };
    const path = header(req, "x-ingress-path");
    if (path === null || !INGRESS_PATH.test(path))
      return { ok: false, message: "missing or malformed X-Ingress-Path: not an ingress request" };
    const id = header(req, "x-remote-user-id");
    if (id === null || !USER_ID.test(id))
      return { ok: false, message: "the ingress proxy did not name a Home Assistant user (X-Remote-User-Id)" };
    return {
      ok: true,
      identity: {
        path,
        user: {
          id,
          name: text(header(req, "x-remote-user-name")),
          displayName: text(header(req, "x-remote-user-display-name")),
        },
      },
    };
  }

  admit(req: IncomingMessage): UpgradeRefusal | null {
    const check = this.identify(req);
    return check.ok ? null : { status: 403, code: "forbidden", message: check.message };
  }

  /** No Origin (not a browser), or the origin the browser used to reach Home Assistant. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const forwarded = header(req, "x-forwarded-host");
    if (forwarded === null) return false;
    try {
      const url = new URL(origin);
      return (url.protocol === "http:" || url.protocol === "https:") && url.host === forwarded.toLowerCase();
    } catch {
      return false;
    }
  }

  readonly originHint = "the browser's origin does not match the host it reached Home Assistant by";
}

/** One value of a header; null when absent, empty or sent more than once. */
function header(req: IncomingMessage, name: string): string | null {
  const raw = req.headersDistinct[name];
  if (!raw || raw.length !== 1 || raw[0] === "") return null;
  return raw[0]!;
}

/** Header bytes arrive as Latin-1; HA sends names as UTF-8. */
function text(value: string | null): string | null {
  if (value === null) return null;
  return Buffer.from(value, "latin1").toString("utf8").slice(0, 256);
}
