// The sidecar directly: REST under /api/v1 with `Authorization: Bearer`, and the events WebSocket
// (/api/v1/events) for the snapshot, deltas and log tails. A browser cannot put the token on a
// WebSocket, so each connection first gets a single-use ticket over REST and offers it as a
// subprotocol; the token never travels in a URL or on the socket. Reconnects with backoff; each
// reconnect brings a fresh ticket and snapshot and resumes logs where they were. Under Home
// Assistant's ingress there is no token (the proxy in front signs every request in, the ticket
// route included), and every URL stays relative to the page, so the ingress prefix is kept.
import type {
  CreateJobsResponse,
  DeltaEvent,
  EventsTicketResponse,
  Job,
  Schedule,
  ScheduleRun,
  TrustStatus,
  Settings,
} from "@esphome-forge/shared";
import { eventsProtocols } from "@esphome-forge/shared/events-protocol";
import { Backoff } from "@esphome-forge/shared/backoff";
import { LogStitcher } from "./log-stitch.js";
import { StateHub } from "./state-hub.js";
import { TrustStatusFeed, trustChanged } from "./trust-status-feed.js";
import { directWorkspace } from "./workspace-direct.js";
import type { WorkspaceApi } from "./workspace-api.js";
import {
  ForgeError,
  type ForgeDataSource,
  type ForgeState,
  type LogEvent,
  type LogUpdate,
  type EnrolmentActions,
  type RoutingActions,
  type ScheduleActions,
  type Unsubscribe,
} from "./types.js";

export interface DirectSourceOptions {
  /** The sidecar's base URL (the page's own folder for the standalone dashboard, ingress prefix included). */
  baseUrl: string;
  /** The admin token; null under Home Assistant's ingress, which authenticates every request itself. */
  token: string | null;
  fetch?: typeof fetch;
  WebSocket?: new (url: string, protocols: string[]) => WebSocket;
  backoff?: Backoff;
  /** Who the jobs are recorded as coming from. */
  source?: string;
}

interface LogSub {
  stitcher: LogStitcher;
  listeners: Set<(u: LogUpdate) => void>;
}

export class DirectSource implements ForgeDataSource {
  readonly kind = "direct";
  private readonly hub = new StateHub({ start: () => this.connect(), stop: () => this.disconnect() });
  private readonly api: string;
  private readonly eventsUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly WS: new (url: string, protocols: string[]) => WebSocket;
  private readonly backoff: Backoff;
  private ws: WebSocket | null = null;
  /** Bumped on every (re)connect and disconnect, so a ticket that arrives late is not used. */
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  /** The current socket has authenticated (its snapshot arrived). */
  private live = false;
  private readonly logs = new Map<number, LogSub>();
  /** The config folder (the sidecar's workspace routes), recorded as changes from the card. */
  readonly workspace: WorkspaceApi = directWorkspace((method, path, body, headers) =>
    this.request(method, path, body, headers),
  );
  /** Policy, revocation list and log check; refetched when a device's trust changes. */
  readonly trustStatus = new TrustStatusFeed(() => this.request<TrustStatus>("GET", "/trust/status"));

  constructor(private readonly o: DirectSourceOptions) {
    const base = new URL(o.baseUrl);
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.api = new URL("api/v1", base).href;
    const ws = new URL("api/v1/events", base);
    ws.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    this.eventsUrl = ws.href;
    this.fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.WS = o.WebSocket ?? globalThis.WebSocket;
    this.backoff = o.backoff ?? new Backoff({ maxMs: 15_000 });
  }

  get state(): ForgeState {
    return this.hub.state;
  }

  subscribe(onState: (s: ForgeState) => void): Unsubscribe {
    return this.hub.subscribe(onState);
  }

  subscribeLog(jobId: number, offset: number, onChunk: (u: LogUpdate) => void): Unsubscribe {
    let sub = this.logs.get(jobId);
    if (!sub) {
      sub = { stitcher: new LogStitcher(jobId, offset), listeners: new Set() };
      this.logs.set(jobId, sub);
      this.send({ type: "subscribe_log", jobId, offset });
    }
    sub.listeners.add(onChunk);
    return () => {
      const s = this.logs.get(jobId);
      if (!s || !s.listeners.delete(onChunk) || s.listeners.size > 0) return;
      this.logs.delete(jobId);
      this.send({ type: "unsubscribe_log", jobId });
    };
  }

  compile(deviceIds: string[], opts: { upload: boolean; whenOnline?: boolean }): Promise<CreateJobsResponse> {
    return this.createJobs(opts.upload ? "compile_upload" : "compile", deviceIds, opts.whenOnline);
  }

  upload(deviceIds: string[], opts: { whenOnline?: boolean } = {}): Promise<CreateJobsResponse> {
    return this.createJobs("upload", deviceIds, opts.whenOnline);
  }

  cancel(jobId: number): Promise<Job> {
    return this.request<Job>("POST", `/jobs/${jobId}/cancel`);
  }

  /** The admin token can do everything, schedules included. */
  readonly schedules: ScheduleActions = {
    create: (s) => this.request<Schedule>("POST", "/schedules", s),
    update: (id, patch) => this.request<Schedule>("PATCH", `/schedules/${id}`, patch),
    remove: async (id) => void (await this.request("DELETE", `/schedules/${id}`)),
    run: (id) => this.request<ScheduleRun>("POST", `/schedules/${id}/run`),
  };

  /** Routing rules are a setting (PATCH /settings replaces the list). */
  readonly enrolment: EnrolmentActions = {
    approve: async (workerId, fingerprint) =>
      void (await this.request("POST", `/workers/${encodeURIComponent(workerId)}/approve`, { fingerprint })),
    reject: async (workerId) =>
      void (await this.request("POST", `/workers/${encodeURIComponent(workerId)}/reject`, {})),
  };
  readonly routing: RoutingActions = {
    get: async () => (await this.request<{ settings: Settings }>("GET", "/settings")).settings.routingRules ?? [],
    set: async (routingRules) =>
      (await this.request<{ settings: Settings }>("PATCH", "/settings", { routingRules })).settings.routingRules,
  };

  /** Checks a token before the page commits to it (GET /info). */
  async verify(): Promise<void> {
    await this.request("GET", "/info");
  }

  private createJobs(action: string, deviceIds: string[], whenOnline = false): Promise<CreateJobsResponse> {
    if (deviceIds.length === 0) return Promise.reject(new ForgeError("no devices selected", "bad_request"));
    return this.request<CreateJobsResponse>("POST", "/jobs", {
      action,
      targets: { devices: deviceIds },
      priority: "interactive",
      ...(whenOnline ? { params: { whenOnline: true } } : {}),
      source: this.o.source ?? "dashboard",
    });
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.api}${path}`, {
        method,
        headers: {
          ...(this.o.token !== null ? { authorization: `Bearer ${this.o.token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...extra,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new ForgeError(`cannot reach the sidecar: ${(err as Error).message}`, "network");
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      if (res.status === 401) this.hub.status("unauthorized", e?.message ?? "invalid token");
      const details = (json as { error?: { details?: unknown } } | null)?.error?.details ?? null;
      throw new ForgeError(
        e?.message ?? `HTTP ${res.status} ${res.statusText}`.trim(),
        e?.code ?? "http",
        res.status,
        details,
      );
    }
    return json as T;
  }

  private connect(): void {
    this.running = true;
    this.open();
  }

  private disconnect(): void {
    this.running = false;
    this.attempt++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "bye");
  }

  private open(): void {
    this.retryTimer = null;
    this.live = false;
    const attempt = ++this.attempt;
    this.request<EventsTicketResponse>("POST", "/events/ticket").then(
      ({ ticket }) => {
        if (this.running && attempt === this.attempt) this.openSocket(ticket);
      },
      (err: ForgeError) => {
        if (!this.running || attempt !== this.attempt) return;
        // A refused token already set the `unauthorized` status (request()); retrying cannot help.
        if (err.status === 401) return;
        this.retryLater(err.message);
      },
    );
  }

  private openSocket(ticket: string): void {
    const ws = new this.WS(this.eventsUrl, eventsProtocols(ticket));
    this.ws = ws;
    ws.onmessage = (ev: MessageEvent) => {
      if (ws !== this.ws) return;
      let msg: { type?: string; code?: string; message?: string };
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.live = false;
      // A refused upgrade looks like any lost connection (1006); the next ticket request tells a
      // revoked token apart.
      if (this.running) this.retryLater(`connection lost${ev.reason ? ` (${ev.reason})` : ""}`);
    };
  }

  private retryLater(why: string): void {
    const delay = this.backoff.next();
    this.hub.status("reconnecting", `${why}; retrying in ${Math.ceil(delay / 1000)} s`);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private onMessage(msg: { type?: string; code?: string; message?: string }): void {
    switch (msg.type) {
      case "snapshot":
        this.backoff.reset();
        this.live = true;
        this.hub.apply(msg as never);
        // Resume every followed log where it stopped.
        for (const [jobId, sub] of this.logs) {
          if (!sub.stitcher.ended) this.send({ type: "subscribe_log", jobId, offset: sub.stitcher.next });
        }
        this.trustStatus.refresh();
        break;
      case "device": {
        const e = msg as unknown as Extract<DeltaEvent, { type: "device" }>;
        if (trustChanged(this.hub.state.devices.get(e.id), e.device)) this.trustStatus.refresh();
        this.hub.apply(e);
        break;
      }
      case "job":
      case "worker":
      case "schedule":
      case "alert":
      case "release":
        this.hub.apply(msg as never);
        break;
      case "log":
      case "log_end": {
        const e = msg as unknown as LogEvent;
        const sub = this.logs.get(e.jobId);
        if (!sub) return;
        for (const u of sub.stitcher.accept(e)) for (const fn of [...sub.listeners]) fn(u);
        break;
      }
      case "error":
        if (msg.code === "unauthorized") this.hub.status("unauthorized", msg.message ?? "unauthorized");
        else if (msg.code === "not_found") this.broadcastLogError(msg.message ?? "not found");
        else this.hub.status(this.hub.state.status, msg.message ?? msg.code ?? "error");
        break;
    }
  }

  /** The sidecar's `not_found` for subscribe_log names the job only in its text. */
  private broadcastLogError(message: string): void {
    const id = Number(/\d+/.exec(message)?.[0]);
    const sub = this.logs.get(id);
    if (sub) for (const fn of [...sub.listeners]) fn({ kind: "error", message });
  }

  private send(msg: unknown): void {
    // Before the snapshot the socket is not live yet; the snapshot handler re-sends.
    if (this.ws && this.live && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
  }
}

/** A device's trust as one comparable string (revocations and policy changes re-announce devices). */
