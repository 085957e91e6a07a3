// Presence per inventory device, from mDNS advertisements and Home Assistant's reports: matches
// advertisements to devices, turns a source offline after its silence (mdns: the
// `presenceOfflineAfterSec` setting; ha: HA_PRESENCE_FRESH_MS), keeps the config-hash baseline
// after Forge's flashes, and says which device's view changed ("change": only that device is
// re-announced) and when a device comes online or goes offline ("online"; a job can wait on it).
import { EventEmitter } from "node:events";
import { HA_PRESENCE_FRESH_MS, macHex, type PresenceReport } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { Clock } from "../util/clock.js";
import { DeviceMatcher } from "./device-matcher.js";
import { NO_FACTS, reported, type DeviceFacts } from "./esphome-txt.js";
import type { Advertisement } from "./mdns-cache.js";
import type { PresenceStore } from "./presence-store.js";
import {
  combinedOnline,
  LAST_SEEN_REFRESH_MS,
  NO_PRESENCE_FIELDS,
  presenceFields,
  type PresenceFields,
  type PresenceState,
} from "./presence-view.js";
import type { FlashRef } from "./running-match.js";

export interface PresenceTrackerOptions {
  clock: Clock;
  offlineAfterMs: () => number;
  devices: () => readonly InventoryDevice[];
  device: (id: string) => InventoryDevice | undefined;
  /** What Forge last flashed to the device (for the running-firmware comparison). */
  lastFlash: (deviceId: string) => FlashRef | null;
  store?: PresenceStore | null;
}

type Events = { change: [deviceId: string]; online: [deviceId: string, online: boolean] };

const sameFacts = (a: DeviceFacts | undefined, b: DeviceFacts) => !!a && JSON.stringify(a) === JSON.stringify(b);
/** Repeats of an unchanged answer closer together than this cost no view work. */
const REPEAT_MS = 1000;

export class PresenceTracker extends EventEmitter<Events> {
  private readonly states = new Map<string, PresenceState>();
  private readonly matcher = new DeviceMatcher();
  private matcherDirty = true;
  /** Per device: the view last announced, without its times. */
  private readonly announced = new Map<string, string>();
  /** Per device: when an mDNS answer was last taken in full (see mdnsSeen). */
  private readonly takenAt = new Map<string, number>();

  constructor(private readonly o: PresenceTrackerOptions) {
    super();
    this.setMaxListeners(0); // one per job waiting for its device
    const loaded = o.store?.load();
    for (const [id, reports] of loaded?.reports ?? []) {
      if (!o.device(id)) {
        o.store?.forget(id); // removed from the config folder while the sidecar was down
        continue;
      }
      const st = this.state(id);
      st.reports = reports;
      st.baseline = loaded?.baselines.get(id) ?? null;
      const c = combinedOnline(reports);
      st.online = c.online;
      st.since = Math.max(reports.mdns?.since ?? 0, reports.ha?.since ?? 0) || null;
      const exact = presenceFields(st, null, true);
      st.shown = { lastSeen: exact.lastSeen ? Date.parse(exact.lastSeen) : null, reportedAt: null };
    }
    this.sweep();
  }

  // ---- sources --------------------------------------------------------------------------------

  mdnsSeen(ad: Advertisement): void {
    const id = this.match(ad);
    if (!id) return;
    const now = this.o.clock.now();
    const st = this.state(id);
    const prev = st.reports.mdns;
    const facts = ad.hasTxt ? ad.facts : (prev?.facts ?? NO_FACTS);
    // The same answer again within a second of the last one taken in full (a flood, or several
    // queriers on the link): only the time is noted; anything new, or a second later, goes the
    // whole way (the running firmware's report time and the baseline included).
    if (
      prev?.online &&
      now - (this.takenAt.get(id) ?? -Infinity) < REPEAT_MS &&
      prev.hostname === ad.instance &&
      sameFacts(prev.facts, facts) &&
      (ad.addresses.length === 0 || ad.addresses.join() === prev.addresses.join())
    ) {
      prev.lastSeen = now;
      return;
    }
    this.takenAt.set(id, now);
    st.reports.mdns = {
      online: true,
      since: prev?.online ? prev.since : now,
      lastSeen: now,
      // The firmware's facts are reported only by a TXT record in hand: an address answer after a
      // reboot must not pass the old firmware's cached TXT off as the new firmware's.
      reportedAt: ad.txtFresh || !prev ? now : prev.reportedAt,
      facts,
      factsAt: prev && sameFacts(prev.facts, facts) ? prev.factsAt : now,
      addresses: ad.addresses.length ? ad.addresses : (prev?.addresses ?? []),
      hostname: ad.instance,
    };
    this.noteBaseline(id, st, now);
    this.changed(id, st);
  }

  /** A goodbye: the device announced it is going away (reboot, OTA, power-down). */
  mdnsGone(instance: string): void {
    const now = this.o.clock.now();
    for (const [id, st] of this.states) {
      const r = st.reports.mdns;
      if (r?.online && r.hostname === instance) {
        st.reports.mdns = { ...r, online: false, since: now, lastSeen: now };
        this.changed(id, st);
      }
    }
  }

  /** The MAC Forge knows for the device: its config's, else the one it advertises. */
  knownMac(id: string): string | null {
    return macHex(this.o.device(id)?.mac) ?? this.states.get(id)?.reports.mdns?.facts.mac ?? null;
  }

  /** What Home Assistant's ESPHome integration knows (validated by the caller, MAC included). */
  haReport(id: string, r: PresenceReport): void {
    const now = this.o.clock.now();
    const st = this.state(id);
    const prev = st.reports.ha;
    const facts: DeviceFacts = {
      ...NO_FACTS,
      esphomeVersion: reported(r.esphomeVersion),
      projectName: reported(r.projectName),
      projectVersion: reported(r.projectVersion),
      mac: macHex(r.mac),
    };
    // Offline: HA's own "last heard" (never in the future), else what we knew.
    const earlier = Math.max(r.lastSeen ? Math.min(Date.parse(r.lastSeen), now) : -1, prev?.lastSeen ?? -1);
    st.reports.ha = {
      online: r.online,
      since: prev && prev.online === r.online ? prev.since : now,
      lastSeen: r.online ? now : earlier < 0 ? null : earlier,
      reportedAt: now,
      facts,
      factsAt: prev && sameFacts(prev.facts, facts) ? prev.factsAt : now,
      addresses: [],
      hostname: null,
    };
    this.changed(id, st);
  }

  /** Sources that went silent go offline. Called on a timer (and at start). */
  sweep(): void {
    const now = this.o.clock.now();
    const silence = this.o.offlineAfterMs();
    for (const [id, st] of this.states) {
      const { mdns, ha } = st.reports;
      let changed = false;
      if (mdns?.online && now - (mdns.lastSeen ?? 0) > silence) {
        st.reports.mdns = { ...mdns, online: false, since: now };
        changed = true;
      }
      if (ha?.online && now - ha.reportedAt > HA_PRESENCE_FRESH_MS) {
        st.reports.ha = { ...ha, online: false, since: now };
        changed = true;
      }
      if (changed) this.changed(id, st);
    }
  }

  // ---- inventory ------------------------------------------------------------------------------

  /** A device was added or re-read (its name or MAC may have changed). */
  inventoryChanged(): void {
    this.matcherDirty = true;
  }

  deviceRemoved(id: string): void {
    this.states.delete(id);
    this.announced.delete(id);
    this.takenAt.delete(id);
    this.o.store?.forget(id);
  }

  // ---- reading --------------------------------------------------------------------------------

  /** The presence fields of a device's view (DeviceView's PresenceView). */
  describe(d: Pick<InventoryDevice, "id">, flash: FlashRef | null): PresenceFields {
    const st = this.states.get(d.id);
    return st ? presenceFields(st, flash) : NO_PRESENCE_FIELDS;
  }

  isOnline(id: string): boolean {
    return this.states.get(id)?.online === true;
  }

  /** Resolves once the device is online (at once when it is); rejects when `signal` aborts. */
  waitUntilOnline(id: string, signal?: AbortSignal): Promise<void> {
    if (this.isOnline(id)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.off("online", onOnline);
        signal?.removeEventListener("abort", onAbort);
      };
      const onOnline = (deviceId: string, online: boolean) => {
        if (deviceId !== id || !online) return;
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason instanceof Error ? signal.reason : new Error("stopped waiting for the device"));
      };
      if (signal?.aborted) return onAbort();
      this.on("online", onOnline);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Writes every device's exact state (at stop). */
  flush(): void {
    for (const [id, st] of this.states) this.o.store?.save(id, st.reports);
  }

  // ---- internals ------------------------------------------------------------------------------

  private state(id: string): PresenceState {
    let st = this.states.get(id);
    if (!st) {
      st = { reports: {}, baseline: null, online: null, since: null, shown: { lastSeen: null, reportedAt: null } };
      this.states.set(id, st);
    }
    return st;
  }

  private match(ad: Advertisement): string | null {
    if (this.matcherDirty) {
      this.matcher.rebuild(this.o.devices());
      this.matcherDirty = false;
    }
    return this.matcher.match({ instance: ad.instance, mac: ad.facts.mac });
  }

  /** The first config hash the device reports after Forge's last flash is what Forge installed. */
  private noteBaseline(id: string, st: PresenceState, now: number): void {
    const r = st.reports.mdns;
    const hash = r?.reportedAt === now ? r.facts.configHash : null;
    if (!hash) return;
    const flash = this.o.lastFlash(id);
    if (!flash || st.baseline?.flashJobId === flash.jobId) return;
    if (flash.finishedAt != null && now <= flash.finishedAt) return;
    st.baseline = { flashJobId: flash.jobId, configHash: hash };
    this.o.store?.saveBaseline(id, st.baseline, now);
  }

  /** After a source changed: track the combined online state, and announce the view when it changed. */
  private changed(id: string, st: PresenceState): void {
    const now = this.o.clock.now();
    const { online } = combinedOnline(st.reports);
    const flipped = online !== st.online;
    if (flipped) {
      st.online = online;
      st.since = now;
    }
    const exact = presenceFields(st, this.o.lastFlash(id), true);
    const key = JSON.stringify({
      ...exact,
      lastSeen: null,
      running: exact.running && { ...exact.running, reportedAt: null },
    });
    const seen = exact.lastSeen ? Date.parse(exact.lastSeen) : null;
    const stale = seen != null && (st.shown.lastSeen == null || seen - st.shown.lastSeen >= LAST_SEEN_REFRESH_MS);
    if (key !== this.announced.get(id) || stale) {
      st.shown = { lastSeen: seen, reportedAt: exact.running ? Date.parse(exact.running.reportedAt) : null };
      this.announced.set(id, key);
      this.o.store?.save(id, st.reports);
      if (this.o.device(id)) this.emit("change", id);
    }
    if (flipped && online != null) this.emit("online", id, online);
  }
}
