// The sidecar's trust status (GET /trust/status: policy, revocation list, log check), directly or
// through Home Assistant: fetched while someone listens, again (coalesced) whenever a device's trust changes.
import type { Device, TrustStatus } from "@esphome-forge/shared";
import { toForgeError, type Unsubscribe } from "./types.js";

export type { TrustStatus };

export interface TrustStatusUpdate {
  status: TrustStatus | null;
  /** Why the last fetch failed (the previous status stays shown), else null. */
  error: string | null;
}

export class TrustStatusFeed {
  private readonly listeners = new Set<(u: TrustStatusUpdate) => void>();
  private current: TrustStatusUpdate = { status: null, error: null };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private again = false;

  constructor(
    private readonly load: () => Promise<TrustStatus>,
    /** Coalesces a burst of changes (a revocation re-announces every device) into one fetch. */
    private readonly delayMs = 400,
  ) {}

  get update(): TrustStatusUpdate {
    return this.current;
  }

  subscribe(fn: (u: TrustStatusUpdate) => void): Unsubscribe {
    this.listeners.add(fn);
    fn(this.current);
    if (this.listeners.size === 1) this.refresh(0);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  /** Something trust-related changed: fetch again soon (only while someone listens). */
  refresh(delay = this.delayMs): void {
    if (this.listeners.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fetch();
    }, delay);
  }

  private async fetch(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      this.set({ status: await this.load(), error: null });
    } catch (err) {
      this.set({ status: this.current.status, error: toForgeError(err).message });
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  }

  private set(u: TrustStatusUpdate): void {
    this.current = u;
    for (const fn of [...this.listeners]) fn(u);
  }
}

/** True when a device delta changes what bears on the trust status: its verdicts or its own policy. */
export function trustChanged(
  before: Pick<Device, "trust" | "trustPolicy"> | null | undefined,
  after: Pick<Device, "trust" | "trustPolicy"> | null | undefined,
): boolean {
  return trustKey(before) !== trustKey(after);
}

const trustKey = (d: { trust: unknown; trustPolicy?: unknown } | null | undefined): string =>
  d ? JSON.stringify([d.trust, d.trustPolicy ?? null]) : "";
