// A fake ESPHome device on the link: an mDNS responder for `_esphomelib._tcp` with the TXT keys
// ESPHome publishes (components/mdns: friendly_name, version, mac, platform, board, network,
// config_hash, project_name, project_version, api_encryption, ota_signed), answering queries the
// way a device does (PTR in the answers, SRV/TXT/A/AAAA as additionals) and announcing itself on
// boot. It can leave with a goodbye (TTL 0), vanish silently (power cut), and come back, with or
// without an announcement (a deep-sleep device whose announcement was missed is found by query).
// mDNS is link-local: it runs on a multicast-capable LAN interface (loopback has no MULTICAST flag
// in our sandboxes), with multicast loop on so processes on this host hear it.
import multicastDns from "multicast-dns";
import type { Answer, Question } from "dns-packet";
import { networkInterfaces } from "node:os";

export const ESPHOME_SERVICE = "_esphomelib._tcp.local";

export interface FakeEsphomeDeviceOptions {
  /** Hostname and instance name (`esphome.name`). */
  name: string;
  /** 12 lowercase hex digits. */
  mac: string;
  /** The LAN IPv4 address it claims and whose interface it uses (default: the first LAN address). */
  ip?: string;
  ipv6?: string | null;
  /** TXT values over the defaults; `null` leaves a key out. */
  txt?: Record<string, string | null>;
  port?: number;
  /** Record TTL in seconds (ESPHome uses 120 for most records). */
  ttl?: number;
}

type MdnsSocket = ReturnType<typeof multicastDns>;

/** This machine's first non-loopback IPv4 address, or null (no LAN: mDNS tests are skipped). */
export function lanIpv4(): string | null {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  return null;
}

export class FakeEsphomeDevice {
  private mdns: MdnsSocket | null = null;
  private txt: Record<string, string | null>;
  /** How many queries it has answered (the sidecar's active queries included). */
  answered = 0;

  private constructor(private readonly o: FakeEsphomeDeviceOptions & { ip: string }) {
    this.txt = {
      friendly_name: `Fake ${o.name}`,
      version: "2026.10.0",
      mac: o.mac,
      platform: "ESP32",
      board: "esp32dev",
      network: "wifi",
      config_hash: "1a2b3c4d",
      project_name: "forge.fake",
      project_version: "1.0.0",
      api_encryption: "Noise_NNpsk0_25519_ChaChaPoly_SHA256",
      ota_signed: "true",
      ...o.txt,
    };
  }

  /** Starts answering; announces itself unless `announce` is false. */
  static async start(o: FakeEsphomeDeviceOptions, announce = true): Promise<FakeEsphomeDevice> {
    const ip = o.ip ?? lanIpv4();
    if (!ip) throw new Error("no LAN IPv4 address for mDNS");
    const d = new FakeEsphomeDevice({ ...o, ip });
    await d.open(announce);
    return d;
  }

  get fqdn(): string {
    return `${this.o.name}.${ESPHOME_SERVICE}`;
  }

  get host(): string {
    return `${this.o.name}.local`;
  }

  /** New firmware: new TXT values, announced as a rebooted device does. */
  async reboot(txt: Record<string, string | null>, announce = true): Promise<void> {
    await this.vanish();
    this.txt = { ...this.txt, ...txt };
    await this.open(announce);
  }

  /** Leaves properly: goodbye packets (TTL 0), then silence. */
  async goodbye(): Promise<void> {
    const mdns = this.mdns;
    if (!mdns) return;
    await new Promise<void>((resolve) => mdns.respond({ answers: this.records(0) }, () => resolve()));
    await this.vanish();
  }

  /** Leaves without a word (power cut, deep sleep). */
  async vanish(): Promise<void> {
    const mdns = this.mdns;
    this.mdns = null;
    if (mdns) await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
  }

  /** Back on the link, announcing itself unless `announce` is false (then only queries find it). */
  async comeBack(announce = true): Promise<void> {
    await this.open(announce);
  }

  stop(): Promise<void> {
    return this.vanish();
  }

  private async open(announce: boolean): Promise<void> {
    if (this.mdns) return;
    // Bound to the wildcard (a socket bound to a unicast address never sees multicast), joined and
    // sending on the LAN interface.
    const mdns = multicastDns({ interface: this.o.ip, bind: "0.0.0.0", reuseAddr: true, loopback: true });
    mdns.on("error", () => undefined);
    mdns.on("warning", () => undefined);
    mdns.on("query", (q) => this.answer(q.questions ?? []));
    await new Promise<void>((resolve) => mdns.once("ready", () => resolve()));
    this.mdns = mdns;
    if (announce) {
      // RFC 6762 §8.3: at least two announcements, one second apart.
      this.announce();
      setTimeout(() => this.announce(), 1000).unref();
    }
  }

  private announce(): void {
    this.mdns?.respond({ answers: this.records(this.o.ttl ?? 120) });
  }

  private answer(questions: Question[]): void {
    if (!this.mdns) return;
    const ttl = this.o.ttl ?? 120;
    const all = this.records(ttl);
    const [ptr, srv, txt, ...addresses] = all;
    for (const q of questions) {
      const name = q.name.toLowerCase();
      const type = q.type as string; // dns-packet's types leave out ANY (255), which queries may ask
      let answers: Answer[] = [];
      let additionals: Answer[] = [];
      if (name === ESPHOME_SERVICE && (type === "PTR" || type === "ANY")) {
        answers = [ptr!];
        additionals = [srv!, txt!, ...addresses];
      } else if (name === this.fqdn) {
        answers = [srv!, txt!].filter((r) => type === "ANY" || r.type === type);
        additionals = addresses;
      } else if (name === this.host) {
        answers = addresses.filter((r) => type === "ANY" || r.type === type);
      }
      if (answers.length === 0) continue;
      this.answered++;
      this.mdns.respond({ answers, additionals });
    }
  }

  private records(ttl: number): Answer[] {
    const txt = Object.entries(this.txt)
      .filter(([, v]) => v != null)
      .map(([k, v]) => Buffer.from(`${k}=${v}`));
    const out: Answer[] = [
      { name: ESPHOME_SERVICE, type: "PTR", ttl, data: this.fqdn },
      { name: this.fqdn, type: "SRV", ttl, flush: true, data: { target: this.host, port: this.o.port ?? 6053 } },
      { name: this.fqdn, type: "TXT", ttl, flush: true, data: txt },
      { name: this.host, type: "A", ttl, flush: true, data: this.o.ip },
    ];
    if (this.o.ipv6 !== null)
      out.push({ name: this.host, type: "AAAA", ttl, flush: true, data: this.o.ipv6 ?? "fd00::e5:1" });
    return out;
  }
}
