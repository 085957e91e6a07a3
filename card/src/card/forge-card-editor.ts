// The card's visual editor: which views, a device filter by tags, columns, compact mode, title.
// Plain form controls (HA's own form elements load lazily and may be absent); every change
// sends `config-changed` with the whole new config, as Lovelace expects.
import { LitElement, html, css, nothing } from "lit";
import { COLUMN_LABELS, OPTIONAL_COLUMNS, type Column } from "../views/columns.js";
import { VIEW_LABELS, VIEW_NAMES, type ViewName } from "../views/view-names.js";
import { baseStyles } from "../views/styles.js";
import { CARD_TYPE, resolveConfig, validateConfig, type ForgeCardConfig } from "./config.js";

export class ForgeCardEditor extends LitElement {
  static override properties = { config: { state: true }, problem: { state: true }, tagsText: { state: true } };
  declare config: ForgeCardConfig | null;
  declare problem: string | null;
  declare tagsText: string;
  hass: unknown = null;

  constructor() {
    super();
    this.config = null;
    this.problem = null;
    this.tagsText = "";
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
      }
      fieldset {
        border: 1px solid var(--forge-divider);
        border-radius: 8px;
        margin: 0 0 12px;
        padding: 8px 12px;
      }
      legend {
        font-weight: 500;
        padding: 0 4px;
      }
      label {
        display: flex;
        align-items: center;
        gap: 6px;
        min-height: 32px;
      }
      .grid {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 16px;
      }
      .field {
        display: grid;
        gap: 4px;
        margin-bottom: 12px;
      }
      .field input {
        width: 100%;
      }
      .hint {
        font-size: 0.85em;
        color: var(--forge-muted);
      }
    `,
  ];

  setConfig(config: ForgeCardConfig): void {
    this.config = { ...config };
    this.tagsText = (config.tags ?? []).join(", ");
    try {
      validateConfig(config);
      this.problem = null;
    } catch (err) {
      this.problem = (err as Error).message;
    }
  }

  private change(patch: Partial<ForgeCardConfig>): void {
    const next: ForgeCardConfig = { ...(this.config ?? { type: `custom:${CARD_TYPE}` }), ...patch };
    for (const k of Object.keys(patch) as (keyof ForgeCardConfig)[]) if (patch[k] === undefined) delete next[k];
    try {
      validateConfig(next);
      this.problem = null;
    } catch (err) {
      // Still report it: the user sees the message here and the preview shows the error card.
      this.problem = (err as Error).message;
    }
    this.config = next;
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config: next }, bubbles: true, composed: true }));
  }

  private toggleView(v: ViewName, on: boolean): void {
    const cur = resolveConfig({ type: "", views: this.config?.views }).views;
    const views = VIEW_NAMES.filter((x) => (x === v ? on : cur.includes(x)));
    if (views.length === 0) return; // at least one view stays on
    this.change({ views });
  }

  private toggleColumn(c: Column, on: boolean): void {
    const cur = resolveConfig({ type: "", columns: this.config?.columns }).columns;
    this.change({ columns: OPTIONAL_COLUMNS.filter((x) => (x === c ? on : cur.includes(x))) });
  }

  private setTags(text: string): void {
    this.tagsText = text;
    const tags = text
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    this.change({ tags });
  }

  override render() {
    if (!this.config) return nothing;
    const r = resolveConfig({ ...this.config, views: this.config.views?.length ? this.config.views : undefined });
    return html`
      ${this.problem ? html`<p class="error-text" role="alert">${this.problem}</p>` : nothing}
      <div class="field">
        <label for="title">Title</label>
        <input id="title" type="text" .value=${this.config.title ?? ""} @change=${(e: Event) => this.change({ title: (e.target as HTMLInputElement).value || undefined })} />
      </div>
      <fieldset>
        <legend>Views</legend>
        <div class="grid">
          ${VIEW_NAMES.map(
            (v) =>
              html`<label><input type="checkbox" name="view-${v}" .checked=${r.views.includes(v)} ?disabled=${r.views.length === 1 && r.views.includes(v)} @change=${(e: Event) => this.toggleView(v, (e.target as HTMLInputElement).checked)} />${VIEW_LABELS[v]}</label>`,
          )}
        </div>
      </fieldset>
      <div class="field">
        <label for="tags">Only devices with these tags</label>
        <input id="tags" type="text" placeholder="e.g. kitchen, outdoor" .value=${this.tagsText} @change=${(e: Event) => this.setTags((e.target as HTMLInputElement).value)} />
        <span class="hint">Comma-separated; empty shows every device.</span>
      </div>
      <fieldset>
        <legend>Columns</legend>
        <div class="grid">
          ${OPTIONAL_COLUMNS.map(
            (c) =>
              html`<label><input type="checkbox" name="column-${c}" .checked=${r.columns.includes(c)} @change=${(e: Event) => this.toggleColumn(c, (e.target as HTMLInputElement).checked)} />${COLUMN_LABELS[c]}</label>`,
          )}
        </div>
      </fieldset>
      <label><input type="checkbox" name="compact" .checked=${r.compact} @change=${(e: Event) => this.change({ compact: (e.target as HTMLInputElement).checked })} />Compact rows</label>
    `;
  }
}

if (!customElements.get(`${CARD_TYPE}-editor`)) customElements.define(`${CARD_TYPE}-editor`, ForgeCardEditor);
