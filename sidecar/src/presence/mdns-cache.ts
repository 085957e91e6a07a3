// What mDNS responses said about `_esphomelib._tcp` instances: the records of each instance (SRV:
// host and port; TXT: the device's facts) and the addresses of each host, merged across packets,
// since a responder may split them. Applying a response tells which instances spoke (alive) and
// which said goodbye (TTL 0). Bounded: an attacker on the link cannot grow it without limit.
import type { Packet } from "dns-packet";
import { ESPHOME_MDNS_SERVICE } from "@esphome-forge/shared";
import { factsFromTxt, NO_FACTS, type DeviceFacts } from "./esphome-txt.js";

export interface Advertisement {
  /** The instance label, i.e. the device's hostname (`kitchen`, `kitchen-a1b2c3`). */
  instance: string;
  host: string | null;
  port: number | null;
  /** IPv4 first, then IPv6; at most MAX_ADDRESSES. */
  addresses: string[];
  facts: DeviceFacts;
  /** Whether a TXT record was received (facts are empty until then). */
  hasTxt: boolean;
  /** Whether the response just applied carried the TXT record (the facts are first-hand now). */
  txtFresh: boolean;
}

interface InstanceEntry {
  instance: string;
  host: string | null;
  port: number | null;
  facts: DeviceFacts;
  hasTxt: boolean;
}

export const MAX_INSTANCES = 1024;
export const MAX_ADDRESSES = 8;
const SUFFIX = `.${ESPHOME_MDNS_SERVICE}`;

const lower = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** `kitchen._esphomelib._tcp.local` → `kitchen`; null for other names. */
export function instanceOf(fqdn: string): string | null {
  const n = lower(fqdn);
  if (!n.endsWith(SUFFIX)) return null;
  const label = n.slice(0, -SUFFIX.length);
  return label.length > 0 && label.length <= 63 && !label.includes(".") ? label : null;
}

export interface ResponseEffect {
  /** Instances that answered (any live record of theirs, or an address of their host). */
  alive: Set<string>;
  /** Instances that said goodbye (PTR, SRV or TXT with TTL 0). */
  gone: Set<string>;
  /** Instances whose SRV or TXT is still unknown: ask for them. */
  incomplete: Set<string>;
  /** Hosts whose addresses are unknown: ask for them. */
  unresolved: Set<string>;
  /** Instances whose TXT record was in this response. */
  withTxt: Set<string>;
}

export class MdnsCache {
  private readonly instances = new Map<string, InstanceEntry>();
  private readonly hosts = new Map<string, Set<string>>();

  /** Folds one response into the cache; the packet's records are attacker input. */
  apply(packet: Pick<Packet, "answers" | "additionals">): ResponseEffect {
    const effect: ResponseEffect = {
      alive: new Set(),
      gone: new Set(),
      incomplete: new Set(),
      unresolved: new Set(),
      withTxt: new Set(),
    };
    const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
    const hostsTouched = new Set<string>();
    for (const rr of records) {
      const ttl = (rr as { ttl?: number }).ttl ?? 0;
      if (rr.type === "PTR" && lower(rr.name) === ESPHOME_MDNS_SERVICE && typeof rr.data === "string") {
        const instance = instanceOf(rr.data);
        if (instance) this.mark(effect, instance, ttl);
      } else if (rr.type === "SRV" || rr.type === "TXT") {
        const instance = instanceOf(rr.name);
        if (!instance) continue;
        if (ttl === 0) {
          effect.gone.add(instance);
          continue;
        }
        const e = this.entry(instance);
        if (rr.type === "SRV") {
          e.host = lower(rr.data.target);
          e.port = rr.data.port;
        } else {
          const data = Array.isArray(rr.data) ? rr.data : [rr.data];
          e.facts = factsFromTxt(data as (Buffer | string)[]);
          e.hasTxt = true;
          effect.withTxt.add(instance);
        }
        effect.alive.add(instance);
      } else if ((rr.type === "A" || rr.type === "AAAA") && typeof rr.data === "string") {
        const host = lower(rr.name);
        const set = this.hosts.get(host) ?? new Set<string>();
        if (ttl === 0) set.delete(rr.data);
        else if (set.size < MAX_ADDRESSES) set.add(rr.data);
        if (set.size > 0 || this.hosts.has(host)) this.hosts.set(host, set);
        if (ttl > 0) hostsTouched.add(host);
      }
    }
    // An address answer from a device's host means the device is alive too.
    if (hostsTouched.size > 0)
      for (const e of this.instances.values()) if (e.host && hostsTouched.has(e.host)) effect.alive.add(e.instance);
    for (const instance of effect.gone) effect.alive.delete(instance);
    for (const instance of effect.alive) {
      const e = this.instances.get(instance);
      if (!e || e.host == null || !e.hasTxt) effect.incomplete.add(instance);
      else if (!this.hosts.get(e.host)?.size) effect.unresolved.add(e.host);
    }
    this.trim();
    return effect;
  }

  get(instance: string, txtFresh = false): Advertisement | null {
    const e = this.instances.get(instance);
    if (!e) return null;
    const addrs = [...(e.host ? (this.hosts.get(e.host) ?? []) : [])];
    const v4 = addrs.filter((a) => !a.includes(":")).sort();
    const v6 = addrs.filter((a) => a.includes(":")).sort();
    return {
      instance,
      host: e.host,
      port: e.port,
      addresses: [...v4, ...v6],
      facts: e.facts,
      hasTxt: e.hasTxt,
      txtFresh,
    };
  }

  /** The SRV/TXT owner name of an instance, to ask for its records. */
  static fqdn(instance: string): string {
    return `${instance}${SUFFIX}`;
  }

  private mark(effect: ResponseEffect, instance: string, ttl: number): void {
    if (ttl === 0) effect.gone.add(instance);
    else {
      this.entry(instance);
      effect.alive.add(instance);
    }
  }

  /** The instance's entry, moved to the end: the map's order is least recently heard first. */
  private entry(instance: string): InstanceEntry {
    const e = this.instances.get(instance) ?? { instance, host: null, port: null, facts: NO_FACTS, hasTxt: false };
    this.instances.delete(instance);
    this.instances.set(instance, e);
    return e;
  }

  /** Drops the least recently heard instances (and hosts nobody points at) beyond the caps. */
  private trim(): void {
    for (const oldest of this.instances.keys()) {
      if (this.instances.size <= MAX_INSTANCES) break;
      this.instances.delete(oldest);
    }
    if (this.hosts.size > MAX_INSTANCES) {
      const used = new Set([...this.instances.values()].map((e) => e.host));
      for (const h of this.hosts.keys()) if (!used.has(h)) this.hosts.delete(h);
    }
  }
}
