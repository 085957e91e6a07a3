// A page that plays Home Assistant's dashboard for the card's browser tests and the benchmark:
// stub `ha-card`, HA's theme variables, a FakeHass, and the REAL built card bundle.
import { makeJob } from "../fixtures/fleet.ts";
import "./bench-hooks.ts";
import { FakeHass } from "./fake-hass.ts";

// HA's dark theme, applied the way the frontend applies themes: inline properties on <html>.
const DARK: Record<string, string> = {
  "--primary-background-color": "#111111",
  "--secondary-background-color": "#282828",
  "--card-background-color": "#1c1c1c",
  "--primary-text-color": "#e1e1e1",
  "--secondary-text-color": "#9b9b9b",
  "--disabled-text-color": "#6f6f6f",
  "--divider-color": "rgba(225, 225, 225, 0.12)",
  "--ha-card-border-color": "#2c2c2c",
};

if (!customElements.get("ha-card")) {
  customElements.define(
    "ha-card",
    class extends HTMLElement {
      constructor() {
        super();
        const root = this.attachShadow({ mode: "open" });
        root.innerHTML =
          "<style>:host{display:block;background:var(--ha-card-background,var(--card-background-color,#fff));border-radius:var(--ha-card-border-radius,12px);border:1px solid var(--ha-card-border-color,#e0e0e0);color:var(--primary-text-color)}</style><slot></slot>";
      }
    },
  );
}

type Card = HTMLElement & {
  setConfig(c: unknown): void;
  hass: unknown;
  updateComplete: Promise<unknown>;
  getCardSize(): number;
  getGridOptions(): unknown;
};

const forge = {
  ready: false,
  fake: null as FakeHass | null,
  card: null as Card | null,
  makeJob,
  async load(): Promise<void> {
    const url = "/bundle/esphome-forge-card.js";
    await import(/* @vite-ignore */ url);
    await customElements.whenDefined("esphome-forge-card");
    this.ready = true;
  },
  prepared: null as FakeHass | null,
  /** Builds the fake Home Assistant (and its fleet) ahead of `mount`, so timing excludes it. */
  prepare(opts: { devices?: number; admin?: boolean } = {}): void {
    this.prepared = new FakeHass(opts.devices ?? 8, { admin: opts.admin });
  },
  mount(config: Record<string, unknown>, opts: { devices?: number; admin?: boolean; stepMs?: number } = {}): void {
    const fake = this.prepared ?? new FakeHass(opts.devices ?? 8, { admin: opts.admin });
    this.prepared = null;
    if (opts.stepMs) fake.fleet.stepMs = opts.stepMs;
    const card = document.createElement("esphome-forge-card") as Card;
    card.setConfig(config);
    card.hass = fake.hass;
    fake.onChange((h) => (card.hass = h));
    document.getElementById("dashboard")!.replaceChildren(card);
    this.fake = fake;
    this.card = card;
  },
  setDark(dark: boolean): void {
    for (const [k, v] of Object.entries(DARK)) {
      if (dark) document.documentElement.style.setProperty(k, v);
      else document.documentElement.style.removeProperty(k);
    }
    this.fake?.setDarkMode(dark);
  },
};

declare global {
  interface Window {
    __forge: typeof forge;
  }
}
window.__forge = forge;
void forge.load();
