// The compact trust status line (policy, revocation list, log check), on the standalone page and in
// the HA card (for admins: the backend needs admin rights); a failed check becomes a prominent alert.
import { LitElement, html, css, nothing } from "lit";
import type { TrustStatusSource, Unsubscribe } from "../data/types.js";
import type { TrustStatus } from "@esphome-forge/shared";
import { baseStyles } from "./styles.js";
import { trustStatusLine } from "./trust-status-line.js";

export class ForgeTrustStatus extends LitElement {
  static override properties = { feed: { attribute: false }, status: { state: true }, error: { state: true } };
  declare feed: TrustStatusSource | null;
  declare status: TrustStatus | null;
  declare error: string | null;
  private unsubscribe: Unsubscribe | null = null;
  private subscribed: TrustStatusSource | null = null;

  constructor() {
    super();
    this.feed = null;
    this.status = null;
    this.error = null;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 4px 12px 0;
        font-size: 0.85em;
      }
      .line {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        align-items: center;
      }
      .alert {
        margin-top: 4px;
        padding: 6px 10px;
        border-radius: 6px;
        font-weight: 600;
        color: var(--forge-bad);
        background: color-mix(in srgb, var(--forge-bad) 12%, transparent);
        border-left: 4px solid var(--forge-bad);
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.attach();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.subscribed = null;
  }

  protected override willUpdate(): void {
    if (this.isConnected && this.feed !== this.subscribed) this.attach();
  }

  private attach(): void {
    if (this.subscribed === this.feed && this.unsubscribe) return;
    this.unsubscribe?.();
    this.subscribed = this.feed;
    this.unsubscribe =
      this.feed?.subscribe((u) => {
        this.status = u.status;
        this.error = u.error;
      }) ?? null;
  }

  override render() {
    if (!this.status)
      return this.error ? html`<div class="line muted">Trust status unavailable: ${this.error}</div>` : nothing;
    const { items, alert } = trustStatusLine(this.status);
    return html`
      <div class="line" role="group" aria-label="Content trust status">
        <span class="muted">Trust</span>
        ${items.map((i) => html`<span class="chip tone-${i.tone}" title=${i.title}>${i.text}</span>`)}
        ${this.error ? html`<span class="muted" title=${this.error}>(not refreshed)</span>` : nothing}
      </div>
      ${alert ? html`<div class="alert" role="alert">${alert}</div>` : nothing}
    `;
  }
}

if (!customElements.get("forge-trust-status")) customElements.define("forge-trust-status", ForgeTrustStatus);
