// The devices table: toolbar and bulk bar (devices-toolbar.ts), sortable header, one keyed row
// element per device.
import { LitElement, html, nothing, type PropertyValues } from "lit";
import { repeat } from "lit/directives/repeat.js";
import type { Device } from "@esphome-forge/shared";
import type { DevicePresence, ForgeState } from "../data/types.js";
import { COLUMN_LABELS, gridTemplate, type Column } from "./columns.js";
import { ACTIONS_ENABLED, checkBox, NATIVE_KIT, type ActionPolicy, type ControlKit } from "./controls.js";
import {
  allTags,
  DEFAULT_QUERY,
  indexJobsByDevice,
  inScope,
  matchesQuery,
  queryUses,
  sortDevices,
  type DeviceJobs,
  type DeviceQuery,
  type SortKey,
} from "./device-model.js";
import { outdatedToArm } from "./device-lifecycle.js";
import { bulkBar, devicesToolbar } from "./devices-toolbar.js";
import { devicesStyles } from "./devices-styles.js";
import { emitAction, type JobCommand } from "./events.js";
import { rowStyles } from "./row-styles.js";
import { baseStyles } from "./styles.js";
import type { ForgeDeviceRow } from "./device-row.js";
import "./device-row.js";

/** Rows rendered in the first frame (a screenful); the rest follow in chunks, one per frame. */
export const FIRST_ROWS = 16;
/** Script time a chunk of rows may take (style and layout come on top); the size adapts to the machine. */
const CHUNK_BUDGET_MS = 10;

const SORTABLE: Partial<Record<Column | "name", SortKey>> = {
  name: "name",
  status: "status",
  last_build: "last_build",
};
const NO_PRESENCE: ReadonlyMap<string, DevicePresence> = new Map();

export class ForgeDevicesView extends LitElement {
  static override properties = {
    state: { attribute: false },
    presence: { attribute: false },
    scopeTags: { attribute: false },
    columns: { attribute: false },
    rowErrors: { attribute: false },
    busy: { attribute: false },
    kit: { attribute: false },
    actions: { attribute: false },
    query: { state: true },
    selected: { state: true },
  };
  declare state: ForgeState;
  declare presence: ReadonlyMap<string, DevicePresence>;
  declare scopeTags: readonly string[];
  declare columns: readonly Column[];
  declare rowErrors: ReadonlyMap<string, string>;
  declare busy: ReadonlySet<string>;
  /** HA's own form controls or plain ones (see controls.ts). */
  declare kit: ControlKit;
  /** Whether the job actions (compile, install, upload, cancel, selection) show and work. */
  declare actions: ActionPolicy;
  declare query: DeviceQuery;
  declare selected: ReadonlySet<string>;
  private jobsIndex: Map<string, DeviceJobs> = new Map();
  private indexedJobs: ForgeState["jobs"] | null = null;
  private visible: Device[] = [];
  /** How many of `visible` are rendered; grows frame by frame so a big fleet never blocks the page. */
  private limit = FIRST_ROWS;
  private growing = 0;
  private rowsPerFrame = 20;
  /** What `visible` was computed from; it is recomputed only when one of these changes. */
  private visibleDeps: unknown[] = [];
  /** Outdated devices "Update outdated when online" arms, and what they were computed from. */
  private armable: string[] = [];
  private armableDeps: unknown[] = [];
  private scoped: { devices: unknown; tags: unknown; count: number; allTags: string[] } = {
    devices: null,
    tags: null,
    count: 0,
    allTags: [],
  };

  constructor() {
    super();
    this.presence = NO_PRESENCE;
    this.scopeTags = [];
    this.columns = [];
    this.rowErrors = new Map();
    this.busy = new Set();
    this.kit = NATIVE_KIT;
    this.actions = ACTIONS_ENABLED;
    this.query = DEFAULT_QUERY;
    this.selected = new Set();
  }

  static override styles = [baseStyles, rowStyles, devicesStyles];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.state.jobs !== this.indexedJobs) {
      this.jobsIndex = indexJobsByDevice(this.state.jobs);
      this.indexedJobs = this.state.jobs;
    }
    const q = this.query;
    const uses = queryUses(q);
    const deps = [
      this.state.devices,
      q,
      this.scopeTags,
      uses.jobs ? this.jobsIndex : null,
      uses.presence ? this.presence : null,
    ];
    if (deps.some((d, i) => d !== this.visibleDeps[i])) {
      const list: Device[] = [];
      for (const d of this.state.devices.values()) {
        if (inScope(d, this.scopeTags) && matchesQuery(d, this.jobsIndex.get(d.id), q, this.presence.get(d.id)))
          list.push(d);
      }
      this.visible = sortDevices(list, q, this.jobsIndex);
      this.visibleDeps = deps;
    }
    if (this.scoped.devices !== this.state.devices || this.scoped.tags !== this.scopeTags) {
      const inside = [...this.state.devices.values()].filter((d) => inScope(d, this.scopeTags));
      this.scoped = {
        devices: this.state.devices,
        tags: this.scopeTags,
        count: inside.length,
        allTags: allTags(inside),
      };
    }
    const armDeps = [this.state.devices, this.scopeTags, this.presence, this.jobsIndex];
    if (armDeps.some((d, i) => d !== this.armableDeps[i])) {
      this.armable = outdatedToArm(
        this.state.devices.values(),
        (d) => inScope(d, this.scopeTags),
        this.presence,
        (id) => this.jobsIndex.get(id)?.active ?? null,
      );
      this.armableDeps = armDeps;
    }
    if (changed.has("columns") || changed.has("actions")) {
      const select = this.actions.mode !== "hidden";
      this.style.setProperty("--forge-grid", gridTemplate(this.columns, { wide: true, select }));
      this.style.setProperty("--forge-grid-medium", gridTemplate(this.columns, { wide: false, select }));
      this.style.setProperty("--forge-select-w", select ? "32px" : "0px");
      if (!select && this.selected.size) this.selected = new Set();
    }
  }

  protected override updated(): void {
    if (this.limit < this.visible.length && !this.growing) this.growing = requestAnimationFrame(() => void this.grow());
  }

  /** Renders the next chunk of rows, then sizes the following chunk from what this one cost. */
  private async grow(): Promise<void> {
    const start = performance.now();
    const before = this.limit;
    this.limit += this.rowsPerFrame;
    this.requestUpdate();
    await this.updateComplete;
    const added = [...this.renderRoot.querySelectorAll<ForgeDeviceRow>("forge-device-row")].slice(before);
    await Promise.all(added.map((r) => r.updateComplete));
    const perRow = (performance.now() - start) / Math.max(1, added.length);
    this.rowsPerFrame = Math.max(5, Math.min(60, Math.floor(CHUNK_BUDGET_MS / Math.max(0.05, perRow))));
    this.growing = 0;
    if (this.isConnected && this.limit < this.visible.length)
      this.growing = requestAnimationFrame(() => void this.grow());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.growing) cancelAnimationFrame(this.growing);
    this.growing = 0;
  }

  private setQuery(patch: Partial<DeviceQuery>): void {
    this.query = { ...this.query, ...patch };
  }

  private toggleSort(key: SortKey): void {
    this.setQuery(this.query.sort === key ? { descending: !this.query.descending } : { sort: key, descending: false });
  }

  private onSelect(e: CustomEvent<{ id: string; selected: boolean }>): void {
    const next = new Set(this.selected);
    if (e.detail.selected) next.add(e.detail.id);
    else next.delete(e.detail.id);
    this.selected = next;
  }

  private selectAll(on: boolean): void {
    this.selected = on ? new Set(this.visible.map((d) => d.id)) : new Set();
  }

  private bulk(action: JobCommand): void {
    if (this.actions.mode !== "enabled") return;
    const ids = [...this.selected].filter((id) => this.state.devices.has(id));
    if (ids.length) emitAction(this, { action, deviceIds: ids });
  }

  override render() {
    const q = this.query;
    const sel = this.selected;
    const kit = this.kit;
    const acts = this.actions;
    const allSelected = this.visible.length > 0 && this.visible.every((d) => sel.has(d.id));
    const someSelected = !allSelected && this.visible.some((d) => sel.has(d.id));
    return html`
      ${devicesToolbar({
        kit,
        query: q,
        tags: this.scoped.allTags,
        shown: this.visible.length,
        total: this.scoped.count,
        armable: this.armable,
        actions: acts,
        onQuery: (patch) => this.setQuery(patch),
        onArm: () => emitAction(this, { action: "compile_upload", deviceIds: this.armable, whenOnline: true }),
      })}
      ${bulkBar({
        selected: sel.size,
        actions: acts,
        onBulk: (action) => this.bulk(action),
        onClear: () => this.selectAll(false),
      })}
      <div role="table" aria-label="Devices" aria-rowcount=${this.visible.length + 1} @forge-select=${this.onSelect}>
        <div class="head" role="row">
          <div role="columnheader" class="select-head">
            ${
              acts.mode === "hidden"
                ? nothing
                : checkBox(kit, {
                    label: "Select all shown devices",
                    checked: allSelected,
                    indeterminate: someSelected,
                    onChange: (on) => this.selectAll(on),
                  })
            }
          </div>
          ${this.header("name", "Device")} ${this.columns.map((c) => this.header(c, COLUMN_LABELS[c]))}
          <div role="columnheader" class="opt actions-head" style="text-align:right">Actions</div>
        </div>
        ${repeat(
          this.limit < this.visible.length ? this.visible.slice(0, this.limit) : this.visible,
          (d) => d.id,
          (d) => {
            const j = this.jobsIndex.get(d.id);
            return html`<forge-device-row
              .device=${d}
              .active=${j?.active ?? null}
              .last=${j?.last ?? null}
              .presence=${this.presence.get(d.id)}
              .columns=${this.columns}
              .error=${this.rowErrors.get(d.id) ?? null}
              .kit=${kit}
              .actions=${acts}
              ?selected=${sel.has(d.id)}
              ?busy=${this.busy.has(d.id)}
            ></forge-device-row>`;
          },
        )}
      </div>
      ${this.visible.length === 0 ? html`<div class="empty">${this.state.loaded ? "No devices match." : "Loading devices…"}</div>` : nothing}
    `;
  }

  private header(col: Column | "name", label: string) {
    const key = SORTABLE[col];
    const cls = col === "name" ? "" : "opt";
    if (!key) return html`<div role="columnheader" class=${cls}>${label}</div>`;
    const active = this.query.sort === key;
    const sort = active ? (this.query.descending ? "descending" : "ascending") : "none";
    return html`<div role="columnheader" class=${cls} aria-sort=${sort}>
      <button @click=${() => this.toggleSort(key)} aria-label=${`Sort by ${label}`}>${label}${active ? (this.query.descending ? " ▼" : " ▲") : ""}</button>
    </div>`;
  }
}

if (!customElements.get("forge-devices-view")) customElements.define("forge-devices-view", ForgeDevicesView);
