// One job at a time per device build folder: ESPHome must never run two builds against the
// same build directory. Normally the sidecar never assigns two jobs for one device at once,
// but a job being killed (abandoned after a reconnect) can still hold the folder briefly.

type Release = () => void;

interface Entry {
  waiters: { grant: (release: Release) => void }[];
}

export class DeviceLocks {
  private readonly held = new Map<string, Entry>();

  /** True while a job holds or waits for the device's folder. */
  isBusy(deviceId: string): boolean {
    return this.held.has(deviceId);
  }

  /** Takes the lock only when it is free right now. */
  tryAcquire(deviceId: string): Release | null {
    if (this.held.has(deviceId)) return null;
    this.held.set(deviceId, { waiters: [] });
    return this.releaser(deviceId);
  }

  /** Waits for the device's folder; rejects when `signal` aborts first. */
  acquire(deviceId: string, signal: AbortSignal): Promise<Release> {
    const now = this.tryAcquire(deviceId);
    if (now) return Promise.resolve(now);
    const entry = this.held.get(deviceId)!;
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (release: Release) => {
          signal.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = entry.waiters.indexOf(waiter);
        if (i >= 0) entry.waiters.splice(i, 1);
        reject(new Error("aborted while waiting for the device's build folder"));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      entry.waiters.push(waiter);
    });
  }

  private releaser(deviceId: string): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const entry = this.held.get(deviceId);
      const next = entry?.waiters.shift();
      if (next) next.grant(this.releaser(deviceId));
      else this.held.delete(deviceId);
    };
  }
}
