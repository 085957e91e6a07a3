// Browses the link for ESPHome devices (`_esphomelib._tcp.local`): listens to every mDNS response
// (unsolicited announcements included), asks on a backoff schedule (query-schedule.ts), and asks
// for an instance's SRV/TXT or its host's addresses when a response left them out. Reports
// "seen" for every instance that answered and "gone" for a goodbye. IPv4 multicast carries the
// A and AAAA records alike; the socket shares port 5353 with the zeroconf advertiser and others.
import { EventEmitter } from "node:events";
import multicastDns from "multicast-dns";
import type { Question } from "dns-packet";
import { ESPHOME_MDNS_SERVICE } from "@esphome-forge/shared";
import { MdnsCache, type Advertisement } from "./mdns-cache.js";
import { QuerySchedule } from "./query-schedule.js";

export interface MdnsBrowserOptions {
  offlineAfterMs: () => number;
  log: (msg: string) => void;
  /** Query intervals (tests). */
  baseMs?: number;
  maxMs?: number;
}

type MdnsSocket = ReturnType<typeof multicastDns>;
const FOLLOW_UP_MS = 5000;

export class MdnsBrowser extends EventEmitter<{ seen: [ad: Advertisement]; gone: [instance: string] }> {
  private mdns: MdnsSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly cache = new MdnsCache();
  private readonly schedule: QuerySchedule;
  private readonly warned = new Set<string>();
  private readonly askedAt = new Map<string, number>();

  constructor(private readonly o: MdnsBrowserOptions) {
    super();
    this.schedule = new QuerySchedule({ offlineAfterMs: o.offlineAfterMs, baseMs: o.baseMs, maxMs: o.maxMs });
  }

  start(): void {
    if (this.mdns) return;
    const mdns = multicastDns({ reuseAddr: true, loopback: true });
    this.mdns = mdns;
    // Socket trouble is reported once per distinct message (multicast-dns retries memberships every
    // 5 s, and loopback without the MULTICAST flag fails each time); it never ends the process.
    const report = (err: Error) => this.warnOnce(`presence: mDNS ${err.message}`);
    mdns.on("error", report);
    mdns.on("warning", report);
    mdns.on("response", (packet) => this.onResponse(packet));
    this.query();
  }

  /** Ask again soon and back off from there (a device went away, or a new device was added). */
  soon(): void {
    if (!this.mdns) return;
    this.schedule.reset();
    this.arm(this.schedule.step());
  }

  stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const mdns = this.mdns;
    this.mdns = null;
    if (!mdns) return Promise.resolve();
    return new Promise((resolve) => mdns.destroy(() => resolve()));
  }

  private query(): void {
    this.send([{ name: ESPHOME_MDNS_SERVICE, type: "PTR" }]);
    this.arm(this.schedule.step());
  }

  private arm(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.query(), delay);
    this.timer.unref();
  }

  private send(questions: Question[]): void {
    this.mdns?.query({ questions }, (err?: Error | null) => {
      if (err) this.warnOnce(`presence: mDNS query failed: ${err.message}`);
    });
  }

  private onResponse(packet: Parameters<MdnsCache["apply"]>[0]): void {
    let effect;
    try {
      effect = this.cache.apply(packet);
    } catch (err) {
      this.warnOnce(`presence: ignored a malformed mDNS response (${(err as Error).message})`);
      return;
    }
    const ask: Question[] = [];
    for (const instance of effect.incomplete) {
      const name = MdnsCache.fqdn(instance);
      if (this.mayAsk(name)) ask.push({ name, type: "SRV" }, { name, type: "TXT" });
    }
    for (const host of effect.unresolved)
      if (this.mayAsk(host)) ask.push({ name: host, type: "A" }, { name: host, type: "AAAA" });
    if (ask.length) this.send(ask.slice(0, 32));
    for (const instance of effect.gone) this.emit("gone", instance);
    for (const instance of effect.alive) {
      const ad = this.cache.get(instance, effect.withTxt.has(instance));
      if (ad) this.emit("seen", ad);
    }
  }

  /**
   * Follow-up questions answer what a response left out; each name is asked at most every
   * FOLLOW_UP_MS, so nobody on the link can make the sidecar send a packet per packet received.
   */
  private mayAsk(name: string): boolean {
    const now = Date.now();
    const last = this.askedAt.get(name);
    if (last !== undefined && now - last < FOLLOW_UP_MS) return false;
    if (this.askedAt.size >= 1024) this.askedAt.clear();
    this.askedAt.set(name, now);
    return true;
  }

  private warnOnce(msg: string): void {
    if (this.warned.has(msg) || this.warned.size > 50) return;
    this.warned.add(msg);
    this.o.log(msg);
  }
}
