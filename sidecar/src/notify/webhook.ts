// The webhook: one JSON POST per event to a URL the admin sets, for users without Home Assistant.
// Each POST is signed (HMAC-SHA256 over `<unix seconds>.<body>` with the webhook's secret, hex, in
// X-Forge-Signature as `sha256=…`) so a receiver can tell it came from this sidecar and is fresh.
// Delivery never blocks anything: events wait in a bounded queue and go out one at a time in order,
// each retried with exponential backoff on a network error, a timeout, a 5xx, 408 or 429; another
// 4xx is the receiver saying no, and is not retried.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { z } from "zod";
import {
  WEBHOOK_HEADERS,
  type Notice,
  type NoticeEvent,
  type WebhookConfig,
  type WebhookPut,
} from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { Clock } from "../util/clock.js";
import { FleetState } from "./fleet-state.js";

interface StoredWebhook {
  url: string | null;
  secret: string | null;
  events: NoticeEvent[];
}

type Delivery = NonNullable<WebhookConfig["lastDelivery"]>;

export interface WebhookOptions {
  db: Db;
  clock: Clock;
  /** The sidecar's instance id, in every notice. */
  sidecar: string;
  log: (msg: string) => void;
  /** First retry delay; doubles per attempt (default 1 s). */
  backoffMs?: number;
  /** Attempts per event, the first included (default 6: retries after 1, 2, 4, 8, 16 s). */
  maxAttempts?: number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Events waiting at most; the oldest is dropped beyond it (default 500). */
  maxPending?: number;
}

const KEY = "webhook";

export class WebhookSink {
  private readonly state: FleetState;
  private config: StoredWebhook;
  private readonly queue: Notice[] = [];
  private sending = false;
  private lastDelivery: Delivery | null = null;
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;

  constructor(private readonly o: WebhookOptions) {
    this.state = new FleetState(o.db);
    this.config = this.state.get<StoredWebhook>(KEY) ?? { url: null, secret: null, events: [] };
  }

  view(): WebhookConfig {
    return {
      url: this.config.url,
      secretSet: this.config.secret !== null,
      events: this.config.events,
      lastDelivery: this.lastDelivery,
      pending: this.queue.length,
    };
  }

  /** Sets the webhook; returns its view and, when the sidecar made one up, the new secret (shown this once). */
  configure(put: z.output<typeof WebhookPut>): WebhookConfig & { secret?: string } {
    const generated = put.url !== null && put.secret === undefined && this.config.secret === null;
    const secret = put.secret ?? (generated ? randomBytes(32).toString("base64url") : this.config.secret);
    this.config = { url: put.url, secret: put.url === null ? null : secret, events: put.events };
    this.state.set(KEY, this.config);
    if (put.url === null) this.queue.length = 0;
    this.o.log(put.url === null ? "webhook: off" : `webhook: events go to ${redact(put.url)}`);
    return { ...this.view(), ...(generated && secret ? { secret } : {}) };
  }

  /** Queues an event for the webhook (if one is set and wants it); returns its id. */
  notify(event: NoticeEvent, data: Record<string, unknown>): string | null {
    const { url, events } = this.config;
    if (!url || (events.length > 0 && event !== "test" && !events.includes(event))) return null;
    const notice = {
      id: randomUUID(),
      event,
      at: new Date(this.o.clock.now()).toISOString(),
      sidecar: this.o.sidecar,
      data,
    };
    this.queue.push(notice);
    const max = this.o.maxPending ?? 500;
    if (this.queue.length > max) {
      const dropped = this.queue.shift()!;
      this.o.log(`webhook: ${max} events waiting; dropped the oldest (${dropped.event} ${dropped.id})`);
    }
    void this.pump();
    return notice.id;
  }

  stop(): void {
    this.abort.abort();
    this.wake?.();
    if (this.queue.length) this.o.log(`webhook: ${this.queue.length} event(s) not delivered (stopping)`);
    this.queue.length = 0;
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        const notice = this.queue[0]!;
        await this.deliver(notice);
        if (this.queue[0] === notice) this.queue.shift();
      }
    } finally {
      this.sending = false;
    }
  }

  private async deliver(notice: Notice): Promise<void> {
    const max = this.o.maxAttempts ?? 6;
    let delay = this.o.backoffMs ?? 1000;
    for (let attempt = 1; attempt <= max; attempt++) {
      const { url, secret } = this.config;
      if (!url || this.abort.signal.aborted) return; // turned off meanwhile
      const r = await this.post(url, secret ?? "", notice);
      const done = r.ok || !r.retry || attempt === max;
      if (done) {
        this.lastDelivery = {
          at: new Date(this.o.clock.now()).toISOString(),
          event: notice.event,
          ok: r.ok,
          status: r.status,
          attempts: attempt,
          error: r.error,
        };
        if (!r.ok)
          this.o.log(`webhook: ${notice.event} ${notice.id} not delivered after ${attempt} attempt(s): ${r.error}`);
        return;
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, 60_000);
    }
  }

  private async post(
    url: string,
    secret: string,
    notice: Notice,
  ): Promise<{ ok: boolean; retry: boolean; status: number | null; error: string | null }> {
    const body = JSON.stringify(notice);
    const timestamp = String(Math.floor(this.o.clock.now() / 1000));
    const headers = {
      "content-type": "application/json",
      "user-agent": "esphome-forge-webhook",
      [WEBHOOK_HEADERS.signature]: `sha256=${signWebhook(secret, timestamp, body)}`,
      [WEBHOOK_HEADERS.timestamp]: timestamp,
      [WEBHOOK_HEADERS.event]: notice.event,
      [WEBHOOK_HEADERS.delivery]: notice.id,
    };
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? 10_000)]);
    try {
      const res = await fetch(url, { method: "POST", headers, body, signal, redirect: "error" });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true, retry: false, status: res.status, error: null };
      const retry = res.status >= 500 || res.status === 408 || res.status === 429;
      return { ok: false, retry, status: res.status, error: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === "TimeoutError" ? "timed out" : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, retry: true, status: null, error: why };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The signature a receiver recomputes: HMAC-SHA256(secret, `<timestamp>.<body>`), hex. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** A URL for the log: no credentials, no query (either may hold a token). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
