// Presence wired together: the mDNS browser (when browsing is on) feeding the tracker, and the
// sweep that turns silent devices offline. The tracker is what the rest of the sidecar reads
// (DeviceView, the presence route, and later jobs that wait for a device to come online).
import { FLASH_ACTIONS } from "@esphome-forge/shared";
import type { SettingsStore } from "../config/settings-store.js";
import type { Db } from "../db/database.js";
import type { DiskState } from "../durability/disk-state.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { Inventory } from "../inventory/inventory.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import { MdnsBrowser } from "./mdns-browser.js";
import { PresenceStore } from "./presence-store.js";
import { browsePlan, type PresenceSetting } from "./presence-switch.js";
import { PresenceTracker } from "./presence-tracker.js";
import { flashRefOf } from "./presence-view.js";
import type { FlashRef } from "./running-match.js";

export interface PresenceServiceOptions {
  db: Db;
  /** Runs a write; a full disk turns it into a no-op. */
  guard: (what: string, fn: () => void) => void;
  clock: Clock;
  offlineAfterMs: () => number;
  devices: () => readonly InventoryDevice[];
  device: (id: string) => InventoryDevice | undefined;
  lastFlash: (deviceId: string) => FlashRef | null;
  log: (msg: string) => void;
}

export class PresenceService {
  readonly tracker: PresenceTracker;
  private browser: MdnsBrowser | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** The sidecar's presence: its settings, inventory, last flashes from the queue, writes guarded by the disk state. */
  static forSidecar(p: {
    db: Db;
    disk: Pick<DiskState, "guard">;
    clock: Clock;
    settings: Pick<SettingsStore, "get">;
    inventory: Pick<Inventory, "list" | "get">;
    queue: Pick<JobQueue, "lastSucceeded">;
    log: (msg: string) => void;
  }): PresenceService {
    return new PresenceService({
      db: p.db,
      guard: (what, fn) => void p.disk.guard(what, fn),
      clock: p.clock,
      offlineAfterMs: () => p.settings.get().presenceOfflineAfterSec * 1000,
      devices: () => p.inventory.list(),
      device: (id) => p.inventory.get(id),
      lastFlash: (id) => {
        const d = p.inventory.get(id);
        return d ? flashRefOf(p.queue.lastSucceeded(id, FLASH_ACTIONS), d) : null;
      },
      log: p.log,
    });
  }

  /** Loads what was known before a restart; nothing listens or sweeps until start(). */
  constructor(private readonly o: PresenceServiceOptions) {
    this.tracker = new PresenceTracker({ ...o, store: new PresenceStore(o.db, o.guard) });
  }

  /** `browse`: listen to mDNS (see presence-switch.ts); otherwise only HA's reports feed presence. */
  start(browse: boolean): this {
    if (browse && !this.browser) {
      const browser = new MdnsBrowser({ offlineAfterMs: this.o.offlineAfterMs, log: this.o.log });
      browser.on("seen", (ad) => this.tracker.mdnsSeen(ad));
      browser.on("gone", (instance) => this.tracker.mdnsGone(instance));
      // A device that went away may be rebooting or about to wake: ask often again for a while.
      this.tracker.on("online", (_id, online) => online || browser.soon());
      this.browser = browser;
      browser.start();
    }
    this.arm();
    return this;
  }

  /** Starts as the switches say (presence-switch.ts), and logs why it browses or not. */
  startFor(o: { setting: PresenceSetting; zeroconf: boolean; listenHost: string }): this {
    const plan = browsePlan(o);
    this.o.log(`presence: ${plan.why}`);
    return this.start(plan.browse);
  }

  /** A device was added or re-read: match advertisements against it, and ask the link again. */
  inventoryChanged(): void {
    this.tracker.inventoryChanged();
    this.browser?.soon();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.browser?.stop();
    this.tracker.flush();
  }

  /** Sweep often enough that "offline" follows the silence by a fifth of it at most. */
  private arm(): void {
    if (this.stopped) return;
    const every = Math.min(5000, Math.max(250, Math.floor(this.o.offlineAfterMs() / 5)));
    this.timer = setTimeout(() => {
      this.tracker.sweep();
      this.arm();
    }, every);
    this.timer.unref();
  }
}
