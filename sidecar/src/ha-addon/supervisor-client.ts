// The few Supervisor API calls the add-on makes (http://supervisor, authenticated with the
// SUPERVISOR_TOKEN the Supervisor gives every add-on; both calls are open to any add-on): its own
// info (the ingress port and the address HA reaches it at) and the discovery message that lets
// Home Assistant offer to set up the integration with one click. Answers come wrapped as
// {"result": "ok", "data": …} or {"result": "error", "message": …}.
import { z } from "zod";

export const AddonSelfInfo = z.object({
  slug: z.string(),
  version: z.string(),
  hostname: z.string(),
  ip_address: z.string(),
  ingress_port: z.number().int().min(0).max(65535),
  ingress_entry: z.string().nullable().optional(),
});
export type AddonSelfInfo = z.infer<typeof AddonSelfInfo>;

interface Envelope {
  result?: string;
  data?: unknown;
  message?: string;
}

export class SupervisorError extends Error {
  readonly code = "supervisor";
}

export class SupervisorClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async selfInfo(): Promise<AddonSelfInfo> {
    const data = await this.call("GET", "/addons/self/info");
    const info = AddonSelfInfo.safeParse(data);
    if (!info.success) throw new SupervisorError(`unexpected add-on info from the Supervisor: ${info.error.message}`);
    return info.data;
  }

  /** Announces a service for Home Assistant's config flow; returns the message's uuid. */
  async announce(service: string, config: Record<string, unknown>): Promise<string> {
    const data = await this.call("POST", "/discovery", { service, config });
    const uuid = (data as { uuid?: unknown } | null)?.uuid;
    if (typeof uuid !== "string") throw new SupervisorError("the Supervisor accepted the discovery without a uuid");
    return uuid;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SupervisorError(`cannot reach the Supervisor at ${this.base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: Envelope | null = null;
    try {
      json = JSON.parse(text) as Envelope;
    } catch {
      /* reported below */
    }
    if (!res.ok || json?.result !== "ok")
      throw new SupervisorError(
        `${method} ${path}: the Supervisor answered ${res.status}${json?.message ? ` (${json.message})` : text ? ` (${text.slice(0, 200)})` : ""}`,
      );
    return json.data ?? null;
  }
}
