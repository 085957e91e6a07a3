// Build workers: online state, slots in use, the jobs they are running, platform and tags.
import { LitElement, html, css, nothing } from "lit";
import type { Worker } from "@esphome-forge/shared";
import type { ForgeState } from "../data/types.js";
import { formatRelative } from "../format/relative-time.js";
import { baseStyles } from "./styles.js";

export class ForgeWorkersView extends LitElement {
  static override properties = { state: { attribute: false } };
  declare state: ForgeState;

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
        gap: 10px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        display: grid;
        gap: 6px;
      }
      .top {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
      }
      .slots {
        display: flex;
        gap: 3px;
      }
      .slot {
        flex: 1;
        height: 6px;
        border-radius: 3px;
        background: var(--forge-divider);
      }
      .slot.busy {
        background: var(--forge-accent);
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `,
  ];

  private jobLabel(id: number): string {
    const j = this.state.jobs.get(id);
    if (!j) return `#${id}`;
    const d = this.state.devices.get(j.deviceId);
    return `${d?.friendlyName || d?.name || j.deviceId} (#${id})`;
  }

  override render() {
    const workers = [...this.state.workers.values()].sort(
      (a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name),
    );
    if (!workers.length)
      return html`<div class="empty">No build workers yet. Start one with <span class="mono">esphome-forge worker</span>.</div>`;
    return html`<ul aria-label="Build workers">
      ${workers.map((w) => this.renderWorker(w))}
    </ul>`;
  }

  private renderWorker(w: Worker) {
    const sys = w.system;
    return html`<li aria-label=${`Worker ${w.name}, ${w.online ? "online" : "offline"}, ${w.busySlots} of ${w.slots} slots busy`}>
      <div class="top">
        <b>${w.name}${w.local ? html` <span class="chip">built-in</span>` : nothing}</b>
        <span class="chip ${w.online ? "tone-ok" : "tone-bad"}">${w.online ? "online" : "offline"}</span>
      </div>
      ${w.outdated ? html`<div class="chip tone-bad" title=${w.problem ?? ""}>outdated: ${w.problem ?? "upgrade this worker"}</div>` : nothing}
      ${w.diskLow ? html`<div class="chip tone-warn">low on disk${w.diskFreeBytes != null ? ` (${formatMiB(w.diskFreeBytes)} free)` : ""}: gets no jobs</div>` : nothing}
      <div>
        <div class="muted">${w.busySlots} / ${w.slots} slots in use</div>
        <div class="slots" aria-hidden="true">${Array.from({ length: w.slots }, (_, i) => html`<span class="slot ${i < w.busySlots ? "busy" : ""}"></span>`)}</div>
      </div>
      <div>${w.activeJobIds.length ? w.activeJobIds.map((id) => html`<div>▶ ${this.jobLabel(id)}</div>`) : html`<span class="muted">idle</span>`}</div>
      <div class="muted">${w.platform ?? (sys ? `${sys.os}/${sys.arch}` : "unknown platform")}${sys ? ` · ${sys.cpus} CPUs` : ""}${w.version ? ` · v${w.version}` : ""}</div>
      ${w.tags.length ? html`<div>${w.tags.map((t) => html`<span class="chip">${t}</span> `)}</div>` : nothing}
      ${w.esphomeVersions.length ? html`<div class="muted">ESPHome ${w.esphomeVersions.join(", ")}</div>` : nothing}
      ${!w.online && w.lastSeenAt ? html`<div class="muted">last seen ${formatRelative(w.lastSeenAt)}</div>` : nothing}
    </li>`;
  }
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

if (!customElements.get("forge-workers-view")) customElements.define("forge-workers-view", ForgeWorkersView);
