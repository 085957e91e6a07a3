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
import { HA_CONTROL_TAGS, haKit, sameKit, type ControlKit } from "../views/controls.js";
import { definePublicElement } from "./define.js";
import { loadHaElements } from "./ha-elements.js";
import "./forge-card-editor.js";

/** Shown to HA users who are not administrators (HA refuses them every job command). */
export const NOT_ADMIN = "building, flashing and cancelling need a Home Assistant administrator.";

export class ForgeCard extends LitElement {
  static override properties = {
    resolved: { state: true },
    source: { state: true },
    presence: { state: true },
    kit: { state: true },
    readOnly: { state: true },
  };
  declare resolved: ResolvedConfig | null;
  declare source: HaSource | null;
  declare presence: ReadonlyMap<string, DevicePresence>;
  declare kit: ControlKit;
  declare readOnly: string | null;
  private kitRequested = false;
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
    this.kit = haKit();
    this.readOnly = null;
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
    const readOnly = hass.user?.is_admin === false ? NOT_ADMIN : null;
    if (readOnly !== this.readOnly) this.readOnly = readOnly;
    this.connect(hass);
    this.updatePresence();
    this.requestHaControls();
  }

  /** Uses each of HA's own form controls as soon as HA has loaded it (a plain one until then). */
  private requestHaControls(): void {
    if (this.kitRequested) return;
    this.kitRequested = true;
    const refresh = () => {
      const kit = haKit();
      if (!sameKit(kit, this.kit)) this.kit = kit;
    };
    refresh();
    void loadHaElements(HA_CONTROL_TAGS).then(refresh);
    for (const tag of HA_CONTROL_TAGS) if (!customElements.get(tag)) void customElements.whenDefined(tag).then(refresh);
  }

  getCardSize(): number {
    // 50 px units (masonry): header + tabs + toolbar + a handful of rows.
    return 2 + Math.min(this.devices.size || 4, 8);
  }

  /**
   * Sections view: the whole width of its section (a table needs room; widen the section itself,
   * or use a panel view, for the full layout), as tall as its content; never narrower than half.
   */
  getGridOptions() {
    return { columns: "full" as const, rows: "auto" as const, min_columns: 6, min_rows: 4 };
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
    return (
      changed.has("resolved") ||
      changed.has("source") ||
      changed.has("presence") ||
      changed.has("kit") ||
      changed.has("readOnly")
    );
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
        .kit=${this.kit}
        .readOnly=${this.readOnly}
        ?compact=${c.compact}
      ></forge-dashboard>
    </ha-card>`;
  }
}

definePublicElement(CARD_TYPE, ForgeCard);
