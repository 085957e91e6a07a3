// Holds a backend's current ForgeState and tells subscribers about every change.
import { initialState, reduce, withStatus } from "./reducer.js";
import type { ConnectionStatus, ForgeState, StateEvent, Unsubscribe } from "./types.js";

export class StateHub {
  private current: ForgeState = initialState();
  private readonly listeners = new Set<(s: ForgeState) => void>();

  constructor(
    /** Called when the first listener arrives and when the last one leaves. */
    private readonly lifecycle: { start(): void; stop(): void },
  ) {}

  get state(): ForgeState {
    return this.current;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(fn: (s: ForgeState) => void): Unsubscribe {
    this.listeners.add(fn);
    if (this.listeners.size === 1) this.lifecycle.start();
    fn(this.current);
    return () => {
      if (!this.listeners.delete(fn)) return;
      if (this.listeners.size === 0) {
        this.lifecycle.stop();
        this.current = initialState();
      }
    };
  }

  apply(event: StateEvent): void {
    this.set(reduce(this.current, event));
  }

  status(status: ConnectionStatus, error: string | null = null, since: string | null = null): void {
    this.set(withStatus(this.current, status, error, since));
  }

  private set(next: ForgeState): void {
    if (next === this.current) return;
    this.current = next;
    for (const fn of [...this.listeners]) fn(next);
  }
}
