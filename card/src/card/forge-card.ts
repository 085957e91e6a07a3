// The Lovelace card `custom:esphome-forge-card`: validates its config, talks to Home Assistant's
// `esphome_forge` integration through `hass.connection`, and hosts the shared dashboard views.
import { LitElement, html, css, nothing, type PropertyValues } from "lit";
import { HaSource } from "../data/ha-source.js";
import type { DevicePresence, ForgeState, Unsubscribe } from "../data/types.js";
import "../views/forge-dashboard.js";
import {
  CARD_TYPE,
  resolveConfig,
  stubConfig,
  validateConfig,
  type ForgeCardConfig,
  type ResolvedConfig,
} from "./config.js";
import type { HomeAssistantLike } from "./ha-types.js";
import { PresenceResolver } from "./ha-presence.js";
import "./forge-card-editor.js";

export class ForgeCard extends LitElement {
  static override properties = {
    resolved: { state: true },
    source: { state: true },
    presence: { state: true },
  };
  declare resolved: ResolvedConfig | null;
  declare source: HaSource | null;
  declare presence: ReadonlyMap<string, DevicePresence>;
  private config: ForgeCardConfig | null = null;
  private hassValue: HomeAssistantLike | null = null;
  private readonly resolver = new PresenceResolver();
  private devices: ForgeState["devices"] = new Map();
  private unsubscribe: Unsubscribe | null = null;

  constructor() {
    super();
    this.resolved = null;
    this.source = null;
    this.presence = new Map();
  }

  static override styles = css`
    :host {
      display: block;
    }
    ha-card {
      display: block;
      overflow: hidden;
      height: 100%;
      background: var(--ha-card-background, var(--card-background-color, #fff));
      border-radius: var(--ha-card-border-radius, 12px);
      border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
      box-shadow: var(--ha-card-box-shadow, none);
      color: var(--primary-text-color, #212121);
    }
    .header {
      padding: 12px 16px 4px;
      font-size: var(--ha-card-header-font-size, 20px);
      font-weight: 500;
    }
  `;

  static getConfigElement(): HTMLElement {
    return document.createElement(`${CARD_TYPE}-editor`);
  }

  static getStubConfig(): Omit<ForgeCardConfig, "type"> {
    return stubConfig();
  }

  setConfig(config: ForgeCardConfig): void {
    this.config = validateConfig(config);
    this.resolved = resolveConfig(this.config);
    if (this.hassValue) this.connect(this.hassValue);
  }

  get hass(): HomeAssistantLike | null {
    return this.hassValue;
  }

  /** Set by Home Assistant on every state change; only the presence map may change from it. */
  set hass(hass: HomeAssistantLike) {
    this.hassValue = hass;
    this.connect(hass);
    this.updatePresence();
  }

  getCardSize(): number {
    // 50 px units (masonry): header + tabs + toolbar + a handful of rows.
    return 2 + Math.min(this.devices.size || 4, 8);
  }

  getGridOptions() {
    return { columns: 12, rows: "auto" as const, min_columns: 6, min_rows: 4 };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hassValue) this.connect(this.hassValue);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private connect(hass: HomeAssistantLike): void {
    const entryId = this.resolved?.entryId ?? null;
    if (!this.resolved) return;
    const same = this.source && this.source.connection === hass.connection && this.source.entryId === entryId;
    if (!same) {
      this.unsubscribe?.();
      this.unsubscribe = null;
      // Non-admins watch without the trust status line (its command is admin-only).
      this.source = new HaSource(hass.connection, entryId, hass.user?.is_admin !== false);
    }
    if (!this.unsubscribe && this.isConnected && this.source) {
      this.unsubscribe = this.source.subscribe((s) => {
        if (s.devices === this.devices) return;
        this.devices = s.devices;
        this.updatePresence();
      });
    }
  }

  private updatePresence(): void {
    const next = this.resolver.resolve(this.hassValue, this.devices.values());
    if (next !== this.presence) this.presence = next;
  }

  protected override shouldUpdate(changed: PropertyValues<this>): boolean {
    return changed.has("resolved") || changed.has("source") || changed.has("presence");
  }

  override render() {
    const c = this.resolved;
    if (!c) return nothing;
    return html`<ha-card>
      ${c.title ? html`<div class="header" role="heading" aria-level="2">${c.title}</div>` : nothing}
      <forge-dashboard
        .source=${this.source}
        .views=${c.views}
        .scopeTags=${c.tags}
        .columns=${c.columns}
        .presence=${this.presence}
        ?compact=${c.compact}
      ></forge-dashboard>
    </ha-card>`;
  }
}

if (!customElements.get(CARD_TYPE)) customElements.define(CARD_TYPE, ForgeCard);
