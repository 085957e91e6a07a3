// The workspace over the sidecar's REST routes (standalone page): saves carry `If-Match`, and every
// change is recorded with source `card`.
import type { WorkspaceApi } from "./workspace-api.js";

type Request = <T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<T>;

const CARD = { "x-forge-source": "card" };
const dev = (id: string) => `/devices/${encodeURIComponent(id)}`;
const qs = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
};

export function directWorkspace(request: Request): WorkspaceApi {
  return {
    read: (id, path) => request("GET", `${dev(id)}/config${qs({ path })}`),
    save: (id, content, sha256, path) =>
      request("PUT", `${dev(id)}/config${qs({ path })}`, { content }, { ...CARD, "if-match": `"${sha256}"` }),
    history: (id, offset, limit) => request("GET", `${dev(id)}/history${qs({ offset, limit })}`),
    diff: (id, from, to) => request("GET", `${dev(id)}/diff${qs({ from, to })}`),
    restore: (id, commit) => request("POST", `${dev(id)}/restore`, { commit }, CARD),
    templates: () => request("GET", "/workspace/templates"),
    create: (device) => request("POST", "/devices", device, CARD),
  };
}
