// The devices view's toolbar (search, state filter, count, "update outdated when online", tag
// filter) and its bulk bar for the selected rows, as templates rendered into the view's shadow
// root (their styles live in devices-view.ts).
import { html, nothing } from "lit";
import { disabledReason, searchBox, selectBox, type ActionPolicy, type ControlKit } from "./controls.js";
import { STATE_FILTERS, type DeviceQuery, type StateFilter } from "./device-model.js";
import type { JobCommand } from "./events.js";

const ARM_TITLE =
  "Build every outdated device now; each is flashed when it is online (an offline or sleeping one when it is back)";

export interface ToolbarModel {
  kit: ControlKit;
  query: DeviceQuery;
  /** Every tag in the card's scope. */
  tags: readonly string[];
  shown: number;
  total: number;
  /** The outdated devices "Update outdated when online" arms (device-lifecycle.ts). */
  armable: readonly string[];
  actions: ActionPolicy;
  onQuery(patch: Partial<DeviceQuery>): void;
  onArm(): void;
}

export function devicesToolbar(m: ToolbarModel) {
  const q = m.query;
  const acts = m.actions;
  return html`<div class="toolbar" role="search">
    ${searchBox(m.kit, { label: "Search devices", value: q.text, onInput: (text) => m.onQuery({ text }) })}
    ${selectBox(m.kit, {
      label: "Show devices",
      value: q.state,
      options: STATE_FILTERS.map((s) => [s, s === "all" ? "all devices" : s] as const),
      onChange: (state: StateFilter) => m.onQuery({ state }),
    })}
    <span class="muted" aria-live="polite">${m.shown} of ${m.total} devices</span>
    ${
      m.armable.length && acts.mode !== "hidden"
        ? html`<button class="btn arm-outdated" ?disabled=${acts.mode !== "enabled"} title=${acts.mode === "enabled" ? ARM_TITLE : acts.reason}
            @click=${() => m.onArm()}>Update ${m.armable.length} outdated when online</button>`
        : nothing
    }
    ${
      m.tags.length
        ? html`<div class="tags" role="group" aria-label="Filter by tag">
            ${m.tags.map((t) => {
              const on = q.tags.includes(t);
              return html`<button
                class="chip"
                aria-pressed=${on ? "true" : "false"}
                @click=${() => m.onQuery({ tags: on ? q.tags.filter((x) => x !== t) : [...q.tags, t] })}
              >
                ${t}
              </button>`;
            })}
          </div>`
        : nothing
    }
  </div>`;
}

export interface BulkModel {
  selected: number;
  actions: ActionPolicy;
  onBulk(action: JobCommand): void;
  onClear(): void;
}

export function bulkBar(m: BulkModel) {
  const acts = m.actions;
  if (!m.selected || acts.mode === "hidden") return nothing;
  const off = acts.mode !== "enabled";
  return html`<div class="bulk" role="region" aria-label="Bulk actions">
    <b>${m.selected} selected</b>
    <button class="btn" ?disabled=${off} title=${disabledReason(acts)} @click=${() => m.onBulk("compile")}>Compile</button>
    <button class="btn" ?disabled=${off} title=${disabledReason(acts)} @click=${() => m.onBulk("compile_upload")}>Compile &amp; upload</button>
    <button class="btn" ?disabled=${off} title=${disabledReason(acts)} @click=${() => m.onBulk("upload")}>Upload stored firmware</button>
    <button class="btn" @click=${() => m.onClear()}>Clear selection</button>
  </div>`;
}
