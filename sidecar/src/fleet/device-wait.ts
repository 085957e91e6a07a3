// When a flash waits for its device (README "Flash when the device is back"), from presence: the judge
// the queue asks (queue/flash-steps.ts), and the trigger that puts waiting flashes back in the queue
// the moment presence hears the device again (and once at start, for waits from before a restart).
//
// A flash about to be dispatched waits when presence reports its device offline (asleep, for a config
// with `deep_sleep:`). A device no source has ever seen (online null) is flashed as before — presence
// cannot tell, so the OTA is the test — unless the job asked `whenOnline`: then it waits until the device
// is seen. A flash whose OTA failed waits when presence reports the device offline by then, or when it
// could not connect at all and the device sleeps or the job asked `whenOnline` (presence may still say
// online for up to `presenceOfflineAfterSec` after a device went quiet). Any other failure stands.
import type { JobParams } from "@esphome-forge/shared";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import type { PresenceFields } from "../presence/presence-view.js";
import type { FlashWaits } from "../queue/flash-waits.js";
import type { WaitJudge } from "../queue/job-queue.js";

export interface DeviceWaitsOptions {
  queue: { waits: Pick<FlashWaits, "useJudge" | "deviceOnline" | "devices" | "refresh"> };
  presence: {
    describe(d: { id: string }, flash: null): PresenceFields;
    on(event: "online", fn: (deviceId: string, online: boolean) => void): unknown;
  };
  device: (id: string) => Pick<InventoryDevice, "deepSleep"> | undefined;
  /** Runs a write; a full disk turns it into a no-op (the next online event or start tries again). */
  guard: (what: string, fn: () => void) => void;
  /** Jobs went back to the queue: dispatch. */
  kick: () => void;
  now?: () => number;
}

/** An OTA that never reached the device: connection refused or timed out, no route, a name that did not resolve. */
const UNREACHABLE =
  /connect|timed? ?out|refused|unreachable|no route|host is down|resolv|name or service not known|errno (110|111|113)/i;

export class DeviceWaits {
  constructor(private readonly o: DeviceWaitsOptions) {
    o.queue.waits.useJudge(this.judge);
  }

  /** Listens for devices coming online, and releases the waits whose device is online already (after a restart). */
  start(): void {
    this.o.presence.on("online", (id, online) => {
      if (online) this.release(id, "the device is online again; flashing it now");
      else this.o.guard("updating the waits for a device", () => this.o.queue.waits.refresh(id));
    });
    this.recheck("checked at start");
  }

  /** Releases the waits whose device is online now (at start; after a full disk, when releases were skipped). */
  recheck(when: string): void {
    for (const id of this.o.queue.waits.devices())
      if (this.o.presence.describe({ id }, null).online === true)
        this.release(id, `the device is online (${when}); flashing it now`);
  }

  readonly judge: WaitJudge = (deviceId, params, cause, until) => {
    const seen = this.o.presence.describe({ id: deviceId }, null);
    const asleep = this.o.device(deviceId)?.deepSleep === true;
    const end = `until ${this.time(until)}`;
    if (seen.online === false) {
      const since = seen.presence?.since ? ` since ${this.time(Date.parse(seen.presence.since))}` : "";
      const last = seen.lastSeen ? ` (last seen ${this.time(Date.parse(seen.lastSeen))})` : "";
      return asleep
        ? `${deviceId} is asleep${since}${last}; flashed when it wakes, ${end}`
        : `${deviceId} is offline${since}${last}; flashed when it is back, ${end}`;
    }
    if (cause.kind === "ready") {
      if (seen.online === true || !whenOnline(params)) return null;
      return `${deviceId} has not been seen online yet (no mDNS advertisement, no report from Home Assistant); flashed when it is, ${end}`;
    }
    if (!UNREACHABLE.test(cause.error ?? "") || !(asleep || whenOnline(params))) return null;
    return asleep
      ? `${deviceId} sleeps (deep_sleep) and was not awake for the flash; flashed when it wakes, ${end}`
      : `${deviceId} could not be reached; flashed when it is online again (whenOnline), ${end}`;
  };

  private release(deviceId: string, why: string): void {
    let back = 0;
    this.o.guard("releasing the flashes waiting for a device", () => {
      back = this.o.queue.waits.deviceOnline(deviceId, why).length;
    });
    if (back > 0) this.o.kick();
  }

  /** The sidecar's local time: "10:02" today, else "2026-12-12 10:02". */
  private time(ms: number): string {
    const d = new Date(ms);
    const now = new Date(this.o.now?.() ?? Date.now());
    const pad = (n: number) => String(n).padStart(2, "0");
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const sameDay =
      d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
    return sameDay ? hm : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
  }
}

const whenOnline = (p: JobParams) => p.whenOnline === true;
