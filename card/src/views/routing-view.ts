// Routing rules (admins): "devices matching (tags / platforms / name glob) need workers with tags
// [...]", in order — the first rule that matches a device decides. Each rule shows the devices it
// decides for (with the same matcher the sidecar uses) and warns when no online worker carries its
// tags, since those devices' jobs would wait `blocked`. The list is saved as a whole; the sidecar
// checks it and its message is shown as it is.
import { LitElement, html, css, nothing } from "lit";
import type { RoutingRule } from "@esphome-forge/shared";
import { routingRuleFor } from "@esphome-forge/shared/routing";
import { toForgeError, type ForgeState, type RoutingActions } from "../data/types.js";
import { baseStyles } from "./styles.js";

interface Draft {
  name: string;
  tags: string;
  platforms: string;
  glob: string;
  workerTags: string;
}

const EMPTY: Draft = { name: "", tags: "", platforms: "", glob: "", workerTags: "" };
const list = (s: string) =>
  s
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** A draft as the sidecar's RoutingRule (empty criteria left out). */
export function ruleFromDraft(d: Draft): RoutingRule {
  const match: RoutingRule["match"] = {};
  if (list(d.tags).length) match.tags = list(d.tags);
  if (list(d.platforms).length) match.platforms = list(d.platforms);
  if (d.glob.trim()) match.name = d.glob.trim();
  return { name: d.name.trim(), match, workerTags: list(d.workerTags) };
}

export function describeMatch(r: RoutingRule): string {
  const parts: string[] = [];
  if (r.match.platforms?.length) parts.push(`platform ${r.match.platforms.join(" or ")}`);
  if (r.match.tags?.length) parts.push(`tagged ${r.match.tags.join(" and ")}`);
  if (r.match.name) parts.push(`named ${r.match.name}`);
  return `Devices ${parts.join(", ")}`;
}

export class ForgeRoutingView extends LitElement {
  static override properties = {
    state: { attribute: false },
    actions: { attribute: false },
    rules: { state: true },
    editing: { state: true },
    draft: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  declare state: ForgeState;
  declare actions: RoutingActions | undefined;
  declare rules: RoutingRule[] | null;
  /** Index of the rule being edited, "new", or null. */
  declare editing: number | "new" | null;
  declare draft: Draft;
  declare error: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.rules = null;
    this.editing = null;
    this.draft = EMPTY;
    this.error = null;
    this.busy = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: center;
        margin-bottom: 8px;
      }
      ol {
        margin: 0;
        padding: 0 0 0 20px;
        display: grid;
        gap: 8px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
      }
      li > div {
        margin-top: 4px;
      }
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      form {
        display: grid;
        gap: 6px;
        grid-template-columns: max-content 1fr;
        align-items: center;
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        margin-bottom: 8px;
      }
      form .actions {
        grid-column: 1 / -1;
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    if (!this.actions) return;
    try {
      this.rules = await this.actions.get();
    } catch (err) {
      this.error = toForgeError(err).message;
    }
  }

  private async save(rules: RoutingRule[]): Promise<boolean> {
    if (!this.actions) return false;
    this.busy = true;
    this.error = null;
    try {
      this.rules = await this.actions.set(rules);
      return true;
    } catch (err) {
      this.error = toForgeError(err).message;
      return false;
    } finally {
      this.busy = false;
    }
  }

  private edit(i: number | "new"): void {
    const r = i === "new" ? null : this.rules?.[i];
    this.draft = r
      ? {
          name: r.name,
          tags: (r.match.tags ?? []).join(", "),
          platforms: (r.match.platforms ?? []).join(", "),
          glob: r.match.name ?? "",
          workerTags: r.workerTags.join(", "),
        }
      : EMPTY;
    this.error = null;
    this.editing = i;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const rules = [...(this.rules ?? [])];
    const rule = ruleFromDraft(this.draft);
    if (this.editing === "new") rules.push(rule);
    else if (typeof this.editing === "number") rules[this.editing] = rule;
    if (await this.save(rules)) this.editing = null;
  }

  private move(i: number, by: -1 | 1): void {
    const rules = [...(this.rules ?? [])];
    const [r] = rules.splice(i, 1);
    rules.splice(i + by, 0, r!);
    void this.save(rules);
  }

  override render() {
    if (!this.actions) return html`<div class="empty">Routing rules are for administrators.</div>`;
    const rules = this.rules;
    return html`
      <div class="head">
        <span class="muted">The first rule that matches a device decides which workers may build it.</span>
        ${this.editing === null ? html`<button class="btn primary" @click=${() => this.edit("new")}>New rule</button>` : nothing}
      </div>
      ${this.editing !== null ? this.renderForm() : nothing}
      ${this.error ? html`<div class="error-text" role="alert">${this.error}</div>` : nothing}
      ${
        rules === null
          ? html`<div class="empty">Loading…</div>`
          : rules.length
            ? html`<ol aria-label="Routing rules">${rules.map((r, i) => this.renderRule(rules, r, i))}</ol>`
            : html`<div class="empty">No routing rules: any worker builds any device (a job's own worker tags still apply).</div>`
      }
    `;
  }

  private renderRule(rules: RoutingRule[], r: RoutingRule, i: number) {
    const devices = [...this.state.devices.values()].filter((d) => routingRuleFor(rules, d) === r);
    const online = [...this.state.workers.values()].filter(
      (w) => w.online && r.workerTags.every((t) => w.tags.includes(t)),
    );
    const shown = devices.slice(0, 8).map((d) => d.friendlyName || d.name || d.id);
    return html`<li aria-label=${`Rule ${r.name}`}>
      <b>${r.name}</b>
      <div>${describeMatch(r)} need workers with tags <span class="mono">${r.workerTags.join(", ")}</span></div>
      <div class="muted devices">Decides for ${devices.length} device${devices.length === 1 ? "" : "s"}${shown.length ? `: ${shown.join(", ")}${devices.length > shown.length ? ", …" : ""}` : ""}</div>
      ${
        online.length
          ? html`<div class="muted workers">Online workers that qualify: ${online.map((w) => w.name).join(", ")}</div>`
          : html`<div class="workers" style="color: var(--forge-warn)">No online worker carries these tags: matching jobs wait blocked.</div>`
      }
      <div class="actions">
        <button class="btn" aria-label=${`Move ${r.name} up`} ?disabled=${i === 0 || this.busy} @click=${() => this.move(i, -1)}>Up</button>
        <button class="btn" aria-label=${`Move ${r.name} down`} ?disabled=${i === rules.length - 1 || this.busy} @click=${() => this.move(i, 1)}>Down</button>
        <button class="btn" aria-label=${`Edit ${r.name}`} @click=${() => this.edit(i)}>Edit</button>
        <button class="btn danger" aria-label=${`Delete ${r.name}`} ?disabled=${this.busy} @click=${() => void this.save(rules.filter((_, k) => k !== i))}>Delete</button>
      </div>
    </li>`;
  }

  private renderForm() {
    const field = (key: keyof Draft, label: string, placeholder: string) =>
      html`<label for=${`rule-${key}`}>${label}</label>
        <input id=${`rule-${key}`} .value=${this.draft[key]} placeholder=${placeholder} @input=${(e: Event) => (this.draft = { ...this.draft, [key]: (e.target as HTMLInputElement).value })} />`;
    return html`<form aria-label="Routing rule" @submit=${(e: Event) => void this.submit(e)}>
      ${field("name", "Name", "esp32 builds on x86")}
      ${field("platforms", "Platforms", "esp32, rp2040")}
      ${field("tags", "Device tags", "kitchen")}
      ${field("glob", "Device name", "kitchen-*")}
      ${field("workerTags", "Worker tags", "x86")}
      <div class="actions">
        <button class="btn primary" type="submit" ?disabled=${this.busy}>${this.editing === "new" ? "Add rule" : "Save"}</button>
        <button class="btn" type="button" @click=${() => ((this.editing = null), (this.error = null))}>Cancel</button>
      </div>
    </form>`;
  }
}

if (!customElements.get("forge-routing-view")) customElements.define("forge-routing-view", ForgeRoutingView);
