// `<forge-elapsed>`: a live "1 min 05 s" since a timestamp. All instances share one 1 s timer and
// only rewrite their own text, so a running build does not re-render its whole row every second.
import { formatElapsed } from "../format/duration.js";

const live = new Set<ForgeElapsed>();
let timer: ReturnType<typeof setInterval> | null = null;

function tick(): void {
  const now = Date.now();
  for (const el of live) el.paint(now);
}

export class ForgeElapsed extends HTMLElement {
  private sinceIso: string | null = null;

  get since(): string | null {
    return this.sinceIso;
  }

  set since(iso: string | null) {
    this.sinceIso = iso;
    this.paint(Date.now());
  }

  paint(now: number): void {
    const text = formatElapsed(this.sinceIso, now);
    if (this.textContent !== text) this.textContent = text;
  }

  connectedCallback(): void {
    live.add(this);
    this.paint(Date.now());
    timer ??= setInterval(tick, 1000);
  }

  disconnectedCallback(): void {
    live.delete(this);
    if (live.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }
}

if (!customElements.get("forge-elapsed")) customElements.define("forge-elapsed", ForgeElapsed);
